"""`GradeReport` -> the text a student reads in the terminal.

    hw1 (assignments/hw1) on cpu
       1.1 Linear regression recovers the parameters    10.00 / 10
       2.1 LinearClassifier output shape                 0.00 / 5   not implemented yet: Task 2: ...
    total 10.00 / 100  (12.3 s)

Each lost point gets a one-line reason; `verbose` adds the full output and the student's
own traceback under the test.
"""

from __future__ import annotations

import textwrap

from grader.results import GradeReport, TestResult

NAME_WIDTH = 52


def render(report: GradeReport, *, verbose: bool = False) -> str:
    lines = [f"{report.homework} ({report.submission}) on {report.device}"]
    if report.output:  # device, training budget, sandbox layers
        lines += [textwrap.indent(report.output.rstrip(), "  ")]
    number_width = max((len(t.number) for t in report.tests), default=1)
    for test in report.tests:
        lines.append(_line(test, number_width))
        if verbose:  # the reason's further lines and the student's traceback
            rest = test.output.strip().splitlines()[1:]
            extra = "\n".join([*rest, test.detail]).strip()
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


def _line(test: TestResult, number_width: int) -> str:
    name = test.name if len(test.name) <= NAME_WIDTH else test.name[: NAME_WIDTH - 1] + "…"
    score = f"{test.score:6.2f} / {_points(test.max_score):<4}"
    reason = ""
    if test.score < test.max_score or test.status == "failed":
        first = test.output.strip().splitlines()[0] if test.output.strip() else test.status
        reason = "  " + first
    return f"  {test.number:>{number_width}} {name:<{NAME_WIDTH}} {score}{reason}".rstrip()


def _points(value: float) -> str:
    return f"{value:g}"
