"""Pure functions that turn one finished hidden test into a `TestResult`.

Points, numbers, visibility, tags and hidden-error messages come from the gradescope-utils
decorators (attributes on the test function); `partial_credit` leaves `__score__` and
`leaderboard` leaves `__leaderboard_value__` on the function.
"""

from __future__ import annotations

import math
import traceback
from dataclasses import dataclass
from typing import Any, Literal

from grader.errors import StudentCodeError
from grader.results import VISIBILITIES, LeaderboardEntry, TestResult

INTERNAL_ERROR = "the grader hit an internal error in this test ({}); please tell the course staff"


@dataclass
class Outcome:
    """What happened when a test ran: the first failure, or a skip reason."""

    passed: bool
    error: BaseException | None = None
    skip_reason: str | None = None
    student_output: str = ""
    output_dropped: int = 0


def test_name(func: Any, item_name: str) -> str:
    """The docstring's first line (plus the parameter id, if any), else the test's name."""
    doc = (getattr(func, "__doc__", None) or "").strip()
    first = doc.splitlines()[0].strip() if doc else ""
    if not first:
        return item_name
    if "[" in item_name and item_name.endswith("]"):
        return f"{first} [{item_name.split('[', 1)[1]}"
    return first


def failure_reason(error: BaseException) -> str:
    """The one line a student reads for a failed test."""
    if isinstance(error, StudentCodeError):
        return error.student_message
    if isinstance(error, AssertionError) or type(error).__name__ == "Failed":  # pytest.fail
        text = str(getattr(error, "msg", None) or error).strip()
        first = text.splitlines()[0] if text else ""
        # A bare `assert acc > 0.9` rewritten by pytest (an outer pytest's import hook can
        # rewrite even under --assert=plain) reads "assert 0.85 > 0.9": never show it.
        return "a check failed" if not first or first.startswith("assert ") else first
    return INTERNAL_ERROR.format(type(error).__name__)


def failure_detail(error: BaseException) -> str:
    """Longer text shown with the reason (Gradescope shows it to the student): only the
    student's own traceback, never the hidden test's."""
    return error.detail if isinstance(error, StudentCodeError) else ""


def internal_trace(error: BaseException) -> str:
    """The hidden test's traceback, for the course staff only (goes to extra_data)."""
    return "".join(traceback.format_exception(error))[-20000:]


def _is_internal(error: BaseException) -> bool:
    return (
        not isinstance(error, (StudentCodeError, AssertionError))
        and type(error).__name__ != "Failed"
    )


def build_result(func: Any, *, item_name: str, auto_number: str, outcome: Outcome) -> TestResult:
    weight = _number(getattr(func, "__weight__", 0.0))
    partial = getattr(func, "__score__", None)
    visibility = str(getattr(func, "__visibility__", "visible"))
    if visibility not in VISIBILITIES:
        visibility = "visible"
    result = TestResult(
        number=str(getattr(func, "__number__", auto_number)),
        name=test_name(func, item_name),
        score=0.0,
        max_score=weight,
        status="failed",
        visibility=visibility,
        tags=[str(t) for t in getattr(func, "__tags__", ())],
    )
    if outcome.skip_reason is not None:
        result.output = f"skipped: {outcome.skip_reason}"
    elif outcome.error is None:
        result.status = "passed"
        result.score = weight if partial is None else _number(partial)
    else:
        result.output = failure_reason(outcome.error)
        result.detail = failure_detail(outcome.error)
        if _is_internal(outcome.error):
            result.extra_data["internal_error"] = internal_trace(outcome.error)
        if getattr(outcome.error, "grader_side", False):
            result.extra_data["grader_side"] = True  # not the student's fault: regrade
        if partial is not None and not isinstance(outcome.error, StudentCodeError):
            result.score = _number(partial)  # set_score, then a failed assertion
        hidden = getattr(func, "__hide_errors__", None)
        if hidden is not None:  # nothing else: not even a traceback or printed output
            result.output, result.detail = str(hidden), ""
            return result
    if outcome.student_output or outcome.output_dropped:
        more = f"\n[{outcome.output_dropped} more bytes not kept]" if outcome.output_dropped else ""
        result.detail = "\n\n".join(
            t for t in (result.detail, f"Your code printed:\n{outcome.student_output}{more}") if t
        )
    return result


def leaderboard_entry(func: Any) -> LeaderboardEntry | None:
    column = getattr(func, "__leaderboard_column__", None)
    value = getattr(func, "__leaderboard_value__", None)
    if column is None or value is None:
        return None
    order: Literal["asc", "desc"] = (
        "asc" if getattr(func, "__leaderboard_sort_order__", "desc") == "asc" else "desc"
    )
    if not isinstance(value, str):
        value = _number(value)
    return LeaderboardEntry(name=str(column), value=value, order=order)


def reset_scores(func: Any) -> None:
    """partial_credit / leaderboard keep their value on the function: clear the last run's."""
    for name in ("__score__", "__leaderboard_value__"):
        try:
            delattr(func, name)
        except AttributeError:
            pass


def _number(value: Any) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        return 0.0
    return x if math.isfinite(x) else 0.0
