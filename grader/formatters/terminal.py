"""`GradeReport` -> the text a student reads in the terminal.

    hw1 (assignments/hw1) on cpu
       1.1 Linear regression recovers the parameters    10.00 / 10
       2.1 LinearClassifier output shape                 0.00 / 5   not implemented yet: Task 2: ...
    total 10.00 / 100  (12.3 s)

Each lost point gets a one-line reason; `verbose` adds the full output and the student's
own traceback under the test.
"""

from __future__ import annotations

import shutil
import textwrap

from grader.results import GradeReport, TestResult
from grader.text import safe_text

MIN_NAME_WIDTH = 30


def render(report: GradeReport, *, verbose: bool = False, width: int | None = None) -> str:
    """The whole report; every student-controlled string is escaped (grader/text.py)."""
    submission = safe_text(report.submission, keep_newlines=False)
    lines = [f"{report.homework}, {report.suite} suite ({submission}) on {report.device}"]
    if report.output:  # device, training budget, sandbox layers
        lines += [textwrap.indent(safe_text(report.output.rstrip()), "  ")]
    number_width = max((len(t.number) for t in report.tests), default=1)
    name_width = _name_width(report.tests, number_width, width)
    for test in report.tests:
        lines.append(_line(test, number_width, name_width))
        if verbose:  # the reason's further lines and the student's traceback
            rest = test.output.strip().splitlines()[1:]
            extra = safe_text("\n".join([*rest, test.detail]).strip())
            if extra:
                lines.append(textwrap.indent(extra, " " * (number_width + 4)))
    lines.append(
        f"total {report.score:.2f} / {_points(report.max_score)}  ({report.execution_time:.1f} s)"
    )
    return "\n".join(lines)


def summary_line(report: GradeReport) -> str:
    """One line per homework, for `grader grade` with no arguments."""
    lost = sum(1 for t in report.tests if t.score < t.max_score)
    return (
        f"{report.homework}: {report.score:.2f} / {_points(report.max_score)}"
        f"  ({len(report.tests)} tests, {lost} with points lost, {report.execution_time:.1f} s)"
    )


def _name_width(tests: list[TestResult], number_width: int, width: int | None) -> int:
    """Names get what the terminal leaves after the number and the score, and no more
    than the longest name needs."""
    columns = width or shutil.get_terminal_size((100, 24)).columns
    longest = max((len(safe_text(t.name, keep_newlines=False)) for t in tests), default=0)
    room = columns - number_width - 3 - len("100.00 / 10  ")
    return max(MIN_NAME_WIDTH, min(longest, room))


def _line(test: TestResult, number_width: int, name_width: int) -> str:
    name = safe_text(test.name, keep_newlines=False)
    if len(name) > name_width:
        name = name[: name_width - 1] + "…"
    score = f"{test.score:6.2f} / {_points(test.max_score):<4}"
    reason = ""
    if test.score < test.max_score or test.status == "failed":
        first = test.output.strip().splitlines()[0] if test.output.strip() else test.status
        reason = "  " + safe_text(first, keep_newlines=False)
    number = safe_text(test.number, keep_newlines=False)
    return f"  {number:>{number_width}} {name:<{name_width}} {score}{reason}".rstrip()


def _points(value: float) -> str:
    return f"{value:g}"
