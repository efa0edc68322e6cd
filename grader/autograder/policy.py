"""The course policy baked into an autograder build: late penalty, rate limit, leaderboard.

An instructor writes it as a small JSON file (see docs/instructors.md):

    {"late": {"percent_per_day": 10, "max_days": 3, "grace_minutes": 15},
     "rate_limit": {"max_submissions": 5, "window_hours": 24},
     "leaderboard": true, "run_limit_minutes": 10,
     "hidden_visibility": "after_due_date", "score_visibility": "visible"}

`hidden_visibility` is when students see the tests scored on hidden data
(`after_due_date` or `after_published`; the others show at once); `score_visibility` is
Gradescope's top-level visibility of the total (any of its four values).

Every key is optional; an empty policy grades on time with no limit. The build copies it
into the zip as `autograder.json` next to the homework name, and `run_autograder` reads it
back, so changing a policy means rebuilding and re-uploading the zip.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from grader.errors import GraderError

__all__ = ["AutograderConfig", "AutograderPolicy", "LatePolicy", "RateLimit", "load_policy"]


@dataclass(frozen=True)
class LatePolicy:
    percent_per_day: float  # of the earned score, per started day past the due date
    max_days: int | None = None  # later than this many days scores 0; None = no cutoff
    grace_minutes: float = 0.0  # uploads this close after the due date count as on time


@dataclass(frozen=True)
class RateLimit:
    max_submissions: int  # graded submissions allowed per window
    window_hours: float = 24.0


@dataclass(frozen=True)
class AutograderPolicy:
    late: LatePolicy | None = None
    rate_limit: RateLimit | None = None
    leaderboard: bool = True
    run_limit_minutes: float = 10.0  # the assignment's Gradescope run limit (at most 40)
    hidden_visibility: str = "after_due_date"  # tests scored on hidden data
    score_visibility: str = "visible"  # the total

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any, *, source: str = "policy") -> AutograderPolicy:
        """Validate `data` strictly: an unknown key or a bad value names itself and `source`."""
        _expect_keys(
            data,
            {
                "late",
                "rate_limit",
                "leaderboard",
                "run_limit_minutes",
                "hidden_visibility",
                "score_visibility",
            },
            source,
        )
        late = data.get("late")
        limit = data.get("rate_limit")
        leaderboard = data.get("leaderboard", True)
        if not isinstance(leaderboard, bool):
            raise GraderError(f"{source}: leaderboard must be true or false, got {leaderboard!r}")
        return cls(
            late=None if late is None else _late(late, f"{source}: late"),
            rate_limit=None if limit is None else _rate_limit(limit, f"{source}: rate_limit"),
            leaderboard=leaderboard,
            run_limit_minutes=_number(
                data.get("run_limit_minutes", 10.0),
                f"{source}: run_limit_minutes",
                low=0.5,
                high=40.0,
            ),
            hidden_visibility=_choice(
                data.get("hidden_visibility", "after_due_date"),
                f"{source}: hidden_visibility",
                ("after_due_date", "after_published"),
            ),
            score_visibility=_choice(
                data.get("score_visibility", "visible"),
                f"{source}: score_visibility",
                ("visible", "hidden", "after_due_date", "after_published"),
            ),
        )


@dataclass(frozen=True)
class AutograderConfig:
    """What the zip's `autograder.json` holds: which homework, and its policy."""

    homework: str
    policy: AutograderPolicy

    def to_dict(self) -> dict[str, Any]:
        return {"homework": self.homework, **self.policy.to_dict()}

    @classmethod
    def from_dict(cls, data: Any, *, source: str) -> AutograderConfig:
        if not isinstance(data, dict) or not isinstance(data.get("homework"), str):
            raise GraderError(f"{source}: expected an object with a 'homework' name")
        rest = {k: v for k, v in data.items() if k != "homework"}
        return cls(data["homework"], AutograderPolicy.from_dict(rest, source=source))


def load_policy(path: str | Path | None) -> AutograderPolicy:
    """The policy in the JSON file at `path`, or the default policy when `path` is None."""
    if path is None:
        return AutograderPolicy()
    file = Path(path)
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise GraderError(f"policy file {file} does not exist") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise GraderError(f"policy file {file} is not valid JSON: {exc}") from None
    return AutograderPolicy.from_dict(data, source=str(file))


def _late(data: Any, where: str) -> LatePolicy:
    _expect_keys(data, {"percent_per_day", "max_days", "grace_minutes"}, where)
    if "percent_per_day" not in data:
        raise GraderError(f"{where}: percent_per_day is required (e.g. 10 for 10% per day)")
    pct = _number(data["percent_per_day"], f"{where}.percent_per_day", low=0.0, high=100.0)
    max_days = data.get("max_days")
    if max_days is not None and (
        isinstance(max_days, bool) or not isinstance(max_days, int) or max_days < 0
    ):
        raise GraderError(f"{where}.max_days must be a whole number >= 0 or null, got {max_days!r}")
    grace = _number(data.get("grace_minutes", 0.0), f"{where}.grace_minutes", low=0.0)
    return LatePolicy(percent_per_day=pct, max_days=max_days, grace_minutes=grace)


def _rate_limit(data: Any, where: str) -> RateLimit:
    _expect_keys(data, {"max_submissions", "window_hours"}, where)
    count = data.get("max_submissions")
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise GraderError(f"{where}.max_submissions must be a whole number >= 1, got {count!r}")
    hours = _number(data.get("window_hours", 24.0), f"{where}.window_hours", low=0.0)
    if hours == 0:
        raise GraderError(f"{where}.window_hours must be more than 0")
    return RateLimit(max_submissions=count, window_hours=hours)


def _expect_keys(data: Any, allowed: set[str], where: str) -> None:
    if not isinstance(data, dict):
        raise GraderError(f"{where}: expected a JSON object, got {type(data).__name__}")
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise GraderError(
            f"{where}: unknown key {unknown[0]!r}; allowed: {', '.join(sorted(allowed))}"
        )


def _choice(value: Any, where: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise GraderError(f"{where} must be one of {', '.join(allowed)}, got {value!r}")
    return str(value)


def _number(value: Any, where: str, *, low: float, high: float = math.inf) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise GraderError(f"{where} must be a number, got {value!r}")
    if not low <= value <= high:
        raise GraderError(f"{where} must be between {low:g} and {high:g}, got {value!r}")
    return float(value)
