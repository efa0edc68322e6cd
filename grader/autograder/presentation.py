"""What students see on Gradescope, chosen by the course policy: per-test visibility,
tags per task, the total's visibility and leaderboard entries. Applied to a `GradeReport`
after grading, so the hidden suites carry points and checks only.

- Tests scored on the hidden split (`HIDDEN_CHECKS`) show after the due date or after
  publishing (`policy.hidden_visibility`); the others show at once, unless their own
  decorator asked for less.
- Each test is tagged with its task ("Task 3" for test 3.2).
- Homeworks with a natural metric get a leaderboard entry from the value the hidden
  test recorded (`record_property`), when `policy.leaderboard` is on.
- The top-level output speaks of the homework; the sandbox's layers go to extra_data.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from typing import Any, Literal

from grader.autograder.policy import AutograderPolicy
from grader.results import GradeReport, LeaderboardEntry

__all__ = ["HIDDEN_CHECKS", "LEADERBOARDS", "Metric", "apply_policy", "gradescope_results"]

# Test numbers (fnmatch patterns) scored on hidden data, per homework.
HIDDEN_CHECKS: dict[str, tuple[str, ...]] = {
    "hw3": ("4.3",),
    "hw4": ("5.5",),
    "hw5": ("5.2",),
}


@dataclass(frozen=True)
class Metric:
    test: str  # the test number that records it
    key: str  # extra_data key, dotted for nested values ("nll.model")
    column: str  # the leaderboard column
    order: Literal["asc", "desc"]


LEADERBOARDS: dict[str, Metric] = {
    "hw3": Metric("4.3", "accuracy", "test accuracy", "desc"),
    "hw4": Metric("5.5", "mean_iou", "test mean IoU", "desc"),
    "hw5": Metric("5.2", "nll.model", "test NLL (nats/char)", "asc"),
}

_STAFF_ONLY_PREFIXES = ("sandbox layers:", "device:")


def apply_policy(report: GradeReport, policy: AutograderPolicy) -> None:
    """Set visibility, tags, leaderboard and the student-facing output on `report`."""
    hidden = HIDDEN_CHECKS.get(report.homework, ())
    for test in report.tests:
        if any(fnmatch.fnmatchcase(test.number, p) for p in hidden):
            test.visibility = policy.hidden_visibility
        task = f"Task {test.number.split('.')[0]}"
        if task not in test.tags:
            test.tags.append(task)
    report.leaderboard = _leaderboard(report) if policy.leaderboard else []
    lines = report.output.splitlines()
    staff = [ln for ln in lines if ln.startswith(_STAFF_ONLY_PREFIXES)]
    kept = [ln for ln in lines if not ln.startswith(_STAFF_ONLY_PREFIXES)]
    if staff:
        report.extra_data = {**report.extra_data, "grader": staff}
    head = f"{report.homework}: {report.score:g} / {report.max_score:g} points"
    report.output = "\n".join([head, *kept])


def _leaderboard(report: GradeReport) -> list[LeaderboardEntry]:
    metric = LEADERBOARDS.get(report.homework)
    entries = list(report.leaderboard)  # from @leaderboard decorators, if any
    if metric is None:
        return entries
    test = next((t for t in report.tests if t.number == metric.test), None)
    value = _lookup(test.extra_data, metric.key) if test is not None else None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        entries.append(LeaderboardEntry(metric.column, float(value), metric.order))
    return entries


def _lookup(data: dict[str, Any], dotted: str) -> Any:
    value: Any = data
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def gradescope_results(report: GradeReport, policy: AutograderPolicy) -> dict[str, Any]:
    """`report` as results.json, with the policy applied (the total's visibility too)."""
    from grader.formatters.gradescope import to_gradescope

    apply_policy(report, policy)
    results = to_gradescope(report)
    results["visibility"] = policy.score_visibility
    return results
