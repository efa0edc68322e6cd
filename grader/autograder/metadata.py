"""Gradescope's submission_metadata.json, and the policy decisions taken from it.

Lateness and the rate limit are computed from the submission's `created_at` and the
times of `previous_submissions`, never from the clock, so a regrade gives the same answer.

Rate limit design: a submission uses up a slot when it was graded. It does not when
Gradescope flagged an autograder error, or when its results' extra_data says the grader
failed (`autograder_error`), the limit refused it (`rate_limited`) or it held no gradable
files (`unusable_submission`). Past the limit the submission is not graded: its results
say when the next graded submission is possible and its score is the best previous
score, so the active submission never loses points.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from grader.autograder.notices import RATE_LIMITED_KEY
from grader.autograder.policy import LatePolicy, RateLimit

__all__ = [
    "LateDecision",
    "PreviousSubmission",
    "RateDecision",
    "SubmissionMetadata",
    "late_decision",
    "load_metadata",
    "rate_decision",
]


# extra_data flags of results that do not use up a slot of the rate limit
EXEMPT_KEYS = (RATE_LIMITED_KEY, "autograder_error", "unusable_submission")
DAY = timedelta(days=1)


class MetadataError(ValueError):
    """submission_metadata.json is missing a field the policy needs or is malformed."""


@dataclass(frozen=True)
class PreviousSubmission:
    submission_time: datetime
    score: float | None
    autograder_error: bool  # as Gradescope reports it
    exempt: bool  # does not use up a slot: see EXEMPT_KEYS


@dataclass(frozen=True)
class SubmissionMetadata:
    created_at: datetime
    due_date: datetime | None = None
    late_due_date: datetime | None = None
    previous: list[PreviousSubmission] = field(default_factory=list)
    submission_id: str = ""
    users: list[str] = field(default_factory=list)  # e-mails, for the staff's extra_data


@dataclass(frozen=True)
class LateDecision:
    days_late: int  # started days past the due date (after the grace period); 0 = on time
    penalty_fraction: float  # of the earned score taken off, in [0, 1]
    message: str  # shown to the student; "" when on time


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    used: int  # graded submissions inside the window before this one
    best_previous: float  # best score of earlier graded submissions (0 when none)
    next_allowed_at: datetime | None  # when a slot frees up; None when allowed
    message: str


def load_metadata(path: Path) -> SubmissionMetadata:
    """Parse the file; raises MetadataError with the bad field named."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MetadataError(f"{path.name} is unreadable: {exc}") from None
    return parse_metadata(data)


def parse_metadata(data: Any) -> SubmissionMetadata:
    if not isinstance(data, dict):
        raise MetadataError("submission metadata is not a JSON object")
    assignment = data.get("assignment") or {}
    if not isinstance(assignment, dict):
        raise MetadataError("submission metadata: 'assignment' is not an object")
    previous = data.get("previous_submissions") or []
    if not isinstance(previous, list):
        raise MetadataError("submission metadata: 'previous_submissions' is not a list")
    users = data.get("users") or []
    return SubmissionMetadata(
        created_at=_time(data.get("created_at"), "created_at"),
        due_date=_optional_time(assignment.get("due_date"), "assignment.due_date"),
        late_due_date=_optional_time(assignment.get("late_due_date"), "assignment.late_due_date"),
        previous=[_previous(p, i) for i, p in enumerate(previous)],
        submission_id=str(data.get("id", "")),
        users=[str(u.get("email", "")) for u in users if isinstance(u, dict)],
    )


def late_decision(policy: LatePolicy, created_at: datetime, due: datetime | None) -> LateDecision:
    """Penalty for a submission made at `created_at` against the due date `due`."""
    if due is None:
        return LateDecision(0, 0.0, "")
    overdue = created_at - due - timedelta(minutes=policy.grace_minutes)
    if overdue <= timedelta(0):
        return LateDecision(0, 0.0, "")
    days = math.ceil(overdue / DAY)
    plural = "s" if days != 1 else ""
    if policy.max_days is not None and days > policy.max_days:
        return LateDecision(
            days,
            1.0,
            f"Submitted {days} day{plural} late; submissions more than {policy.max_days} "
            "day(s) late score 0 under the course's late policy.",
        )
    fraction = min(1.0, days * policy.percent_per_day / 100.0)
    return LateDecision(
        days,
        fraction,
        f"Submitted {days} day{plural} late: late penalty of {fraction * 100:g}% "
        f"({policy.percent_per_day:g}% per started day).",
    )


def rate_decision(
    limit: RateLimit, created_at: datetime, previous: list[PreviousSubmission]
) -> RateDecision:
    """Whether the submission at `created_at` may be graded under `limit`."""
    window = timedelta(hours=limit.window_hours)
    counted = sorted(
        p.submission_time
        for p in previous
        if not p.autograder_error
        and not p.exempt
        and created_at - window <= p.submission_time < created_at
    )
    scores = [p.score for p in previous if not p.autograder_error and p.score is not None]
    best = max(scores, default=0.0)
    hours = f"{limit.window_hours:g} hours"
    if len(counted) < limit.max_submissions:
        left = limit.max_submissions - len(counted) - 1
        return RateDecision(
            True,
            len(counted),
            best,
            None,
            f"Graded submission {len(counted) + 1} of {limit.max_submissions} allowed in "
            f"{hours}; {left} left.",
        )
    # The slot that frees first belongs to the oldest submission that keeps us at the limit.
    next_at = counted[len(counted) - limit.max_submissions] + window
    return RateDecision(
        False,
        len(counted),
        best,
        next_at,
        f"Submission limit reached: {len(counted)} graded submissions in the last {hours} "
        f"(the course allows {limit.max_submissions}). This submission was not graded; its "
        f"score is your best previous score, {best:g}. Your next submission will be graded "
        f"if made after {next_at.astimezone(timezone.utc):%Y-%m-%d %H:%M} UTC.",
    )


def _previous(item: Any, index: int) -> PreviousSubmission:
    where = f"previous_submissions[{index}]"
    if not isinstance(item, dict):
        raise MetadataError(f"submission metadata: {where} is not an object")
    results = item.get("results")
    extra = results.get("extra_data") if isinstance(results, dict) else None
    score = item.get("score")
    try:
        score_value = None if score in (None, "") else float(score)
    except (TypeError, ValueError):
        raise MetadataError(f"submission metadata: {where}.score is {score!r}") from None
    return PreviousSubmission(
        submission_time=_time(item.get("submission_time"), f"{where}.submission_time"),
        score=score_value,
        autograder_error=bool(item.get("autograder_error", False)),
        exempt=isinstance(extra, dict) and any(extra.get(k) is True for k in EXEMPT_KEYS),
    )


def _optional_time(value: Any, where: str) -> datetime | None:
    return None if value in (None, "") else _time(value, where)


def _time(value: Any, where: str) -> datetime:
    """ISO 8601 as Gradescope writes it ("2024-03-01T23:59:00.000000-08:00")."""
    if not isinstance(value, str):
        raise MetadataError(f"submission metadata: {where} is missing or not a string")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise MetadataError(f"submission metadata: {where}={value!r} is not an ISO time") from None
    if parsed.tzinfo is None:  # Gradescope always gives an offset; assume UTC otherwise
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed
