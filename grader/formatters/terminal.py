"""`GradeReport` -> what a student reads in the terminal, whole or live as tests finish.

    hw1, hidden suite (assignments/hw1) on cpu
       1.1 Linear regression recovers the parameters    10.00 / 10
       2.1 LinearClassifier output shape                 0.00 / 5   not implemented yet: Task 2
    total 10.00 / 100  (12.3 s)

Each lost point gets a one-line reason (wrapped to the terminal, never cut); `verbose` adds
the full output and the student's own traceback under the test. Layout and colour are
rich's: colour only on a terminal (and never with NO_COLOR), plain text in a pipe or file.
Every student-controlled string is escaped first (grader/text.py) and given to rich as
plain `Text`, so neither an ANSI sequence nor rich markup in it does anything.
"""

from __future__ import annotations

import io
import shutil
import sys
import textwrap
from collections.abc import Sequence

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from grader.results import GradeReport, TestResult
from grader.text import safe_text

__all__ = ["LiveReport", "make_console", "render", "summary_line"]

MIN_NAME_WIDTH = 30
SCORE_WIDTH = len("100.00 / 100")
ESTIMATE_NOTE = "validation data; hidden tests and hidden data decide the final grade"


def _columns(width: int | None) -> int:
    """`width`, else the terminal's ($COLUMNS in a pipe, 100 when unknown)."""
    return width or shutil.get_terminal_size((100, 24)).columns


def make_console(width: int | None = None) -> Console:
    """stdout: colour and the real width on a terminal, plain text elsewhere. Bound to the
    stdout of now, so the lines still reach it while pytest's own output is silenced."""
    return Console(file=sys.stdout, width=_columns(width), highlight=False)


def render(report: GradeReport, *, verbose: bool = False, width: int | None = None) -> str:
    """The whole report as plain text (batch feedback files, tests)."""
    buffer = io.StringIO()
    console = Console(file=buffer, width=_columns(width), color_system=None, highlight=False)
    live = LiveReport(console, verbose=verbose)
    live.header(report.homework, report.suite, report.submission, report.device)
    live.tests_planned(report.tests)
    for test in report.tests:
        live.test_finished(test)
    live.footer(report)
    return buffer.getvalue().rstrip("\n")  # each line was stripped as it was printed


def summary_line(report: GradeReport) -> str:
    """One line per homework, for `grader grade` with no arguments."""
    lost = sum(1 for t in report.tests if t.score < t.max_score)
    return (
        f"{report.homework}: {report.score:.2f} / {_points(report.max_score)}"
        f"  ({len(report.tests)} tests, {lost} with points lost, {report.execution_time:.1f} s)"
    )


class LiveReport:
    """A `GradingListener` that prints each test's line the moment the test finishes.

    `header` before grading, then the engine calls `tests_planned` once (the widths are
    fixed from every planned name, so the lines stay aligned), `test_started` and
    `test_finished` per test; `footer` adds the notes and the total. On a terminal a
    transient line shows the running test and its time so far (training takes minutes)."""

    def __init__(self, console: Console, *, verbose: bool = False) -> None:
        self.console = console
        self.verbose = verbose
        self._closed = False  # stdout went away (`| head`): grading goes on, unprinted
        self._running: Progress | None = None  # the transient "running ..." line
        self._running_task: TaskID | None = None
        self._running_text = ""
        self._number_width = 1
        self._name_width = MIN_NAME_WIDTH

    def header(self, homework: str, suite: str, submission: str, device: str) -> None:
        where = safe_text(submission, keep_newlines=False)
        line = Text(f"{homework}, {suite} suite ({where}) on {device}", style="bold")
        self._print(line, soft_wrap=True)

    def tests_planned(self, results: Sequence[TestResult]) -> None:
        self._number_width = max((len(t.number) for t in results), default=1)
        longest = max((len(safe_text(t.name, keep_newlines=False)) for t in results), default=0)
        # what the number and score leave, shared with the reason; names wrap, never cut
        room = self.console.width - self._number_width - 1 - SCORE_WIDTH - 3
        self._name_width = min(longest, max(MIN_NAME_WIDTH, room // 2))

    def test_started(self, result: TestResult) -> None:
        if self._closed or not self.console.is_terminal:
            return
        self._stop_running()
        self._running = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=self.console,
            transient=True,
        )
        name = safe_text(result.name, keep_newlines=False)
        self._running_text = f"running {result.number} {name}"
        self._running_task = self._running.add_task(self._running_text, total=None)
        self._running.start()

    def call_progress(self, label: str, used_s: float, limit_s: float) -> None:
        """During a long call (training): its CPU time against its budget."""
        if self._running is None or self._running_task is None or used_s < 1.0:
            return
        where = safe_text(label, keep_newlines=False)
        self._running.update(
            self._running_task,
            description=f"{self._running_text}: `{where}` {used_s:.0f} of {limit_s:.0f} CPU s",
        )

    def test_finished(self, result: TestResult) -> None:
        self._print(self._line(result))
        if self.verbose:  # the reason's further lines and the student's traceback
            rest = result.output.strip().splitlines()[1:]
            extra = safe_text("\n".join([*rest, result.detail]).strip())
            if extra:
                indent = " " * (self._number_width + 4)
                self._print(Text(textwrap.indent(extra, indent)), soft_wrap=True)

    def footer(self, report: GradeReport) -> None:
        if report.output:  # device, training budget, sandbox layers, notes
            notes = textwrap.indent(safe_text(report.output.rstrip()), "  ")
            self._print(Text(notes), soft_wrap=True)
        total = f"{report.score:.2f} / {_points(report.max_score)}"
        if report.suite == "public":
            line = f"estimated score {total} ({ESTIMATE_NOTE})"
        else:
            line = f"total {total}"
        style = "bold green" if report.score >= report.max_score else "bold red"
        text = Text(line, style=style)
        text.append(f"  ({report.execution_time:.1f} s)", style="default")
        self._print(text, soft_wrap=True)

    def _print(self, renderable: Text | Table, *, soft_wrap: bool = False) -> None:
        """One renderable, without the cells' trailing padding; flushed at once."""
        self._stop_running()
        if self._closed:
            return
        with self.console.capture() as captured:
            self.console.print(renderable, soft_wrap=soft_wrap)
        text = "\n".join(line.rstrip() for line in captured.get().splitlines())
        try:
            self.console.file.write(text + "\n")
            self.console.file.flush()
        except OSError:  # a closed pipe must not stop the grading (nor lose --json)
            self._closed = True

    def _stop_running(self) -> None:
        if self._running is not None:
            self._running.stop()  # transient: the line disappears
            self._running = None

    def _line(self, test: TestResult) -> Table:
        grid = Table.grid(padding=(0, 1))
        grid.add_column(justify="right", width=self._number_width + 1, no_wrap=True)
        grid.add_column(width=self._name_width, overflow="fold")
        grid.add_column(justify="right", width=SCORE_WIDTH, no_wrap=True)
        grid.add_column(overflow="fold")
        lost = test.score < test.max_score or test.status == "failed"
        reason = ""
        if lost:
            first = test.output.strip().splitlines()[0] if test.output.strip() else test.status
            reason = safe_text(first, keep_newlines=False)
        full, none = test.score >= test.max_score, test.score <= 0
        style = "green" if full and not lost else ("red" if none else "yellow")
        grid.add_row(
            Text(safe_text(test.number, keep_newlines=False)),
            Text(safe_text(test.name, keep_newlines=False)),
            Text(f"{test.score:.2f} / {_points(test.max_score)}", style=style),
            Text(reason),
        )
        return grid


def _points(value: float) -> str:
    return f"{value:g}"
