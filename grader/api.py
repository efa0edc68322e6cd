"""`grade(homework, submission) -> GradeReport`: run a homework's hidden suite against one
submission, in-process with pytest, with the student's code in sandboxed workers.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from grader import homeworks
from grader.engine import sandboxing
from grader.engine.client import progress_to
from grader.engine.plugin import GraderPlugin, GradingListener
from grader.engine.session import GradingSession
from grader.errors import GraderError
from grader.homeworks import Homework
from grader.intake import intake
from grader.results import GradeReport
from grader.timing import choose_device, default_threads

__all__ = ["grade"]

# Environment variables that would let the outside change how the hidden suite runs.
_PYTEST_ENV = ("PYTEST_ADDOPTS", "PYTEST_PLUGINS", "PYTEST_DISABLE_PLUGIN_AUTOLOAD")


def grade(
    homework: str | Homework,
    submission: str | Path,
    *,
    device: str | None = None,
    keyword: str | None = None,
    verbose: bool = False,
    threads: int | None = None,
    listener: GradingListener | None = None,
    public: bool = False,
) -> GradeReport:
    """Grade one upload (a folder, a git checkout or a .zip: the rules of grader.intake).

    `keyword` is a pytest -k expression selecting hidden tests. `listener` hears of the
    planned tests and of each result as it is made. `public` runs the homework's public
    graded suite instead of the hidden one (`assignments/<hw>/grading/`, the validation
    split: an estimate students can run, the same engine and report). Bad input (an
    unknown homework, a missing path, a corrupt zip, another homework's package) raises a
    one-line `GraderError` (an `IntakeError` when the upload is at fault).
    """
    start = time.monotonic()
    hw = homework if isinstance(homework, Homework) else homeworks.get(homework)
    suite_dir = hw.suite_folder(public=public)
    if not hw.has_suite(public=public):
        kind = "public graded" if public else "hidden"
        raise GraderError(
            f"homework {hw.name} has no {kind} suite ({suite_dir} holds no test_*.py)"
        )
    device = choose_device(device)
    threads = int(threads) if threads else default_threads()
    if threads < 1:
        raise GraderError(f"threads must be at least 1, got {threads}")
    with tempfile.TemporaryDirectory(prefix="grader-") as tmp:
        taken = intake(hw, submission, Path(tmp))
        session = GradingSession(hw, taken.root, device=device, threads=threads)
        plugin = GraderPlugin(session, listener)
        hear = progress_to(listener.call_progress) if listener else contextlib.nullcontext()
        try:
            with hear:
                _run_suite(hw, suite_dir, plugin, keyword)
        finally:
            session.close()
    report = GradeReport(
        homework=hw.name,
        submission=str(submission),
        tests=plugin.results,
        device=device,
        suite="public" if public else "hidden",
        leaderboard=plugin.leaderboard,
    )
    if any(t.extra_data.get("grader_side") for t in report.tests):
        # Gradescope does not count such a run against the student's submission limit.
        report.extra_data["autograder_error"] = True
    report.output = "\n".join([*taken.notes, *_header(device, threads, verbose), *session.notes])
    report.execution_time = round(time.monotonic() - start, 3)
    return report


def _run_suite(hw: Homework, suite_dir: Path, plugin: GraderPlugin, keyword: str | None) -> None:
    suite = suite_dir.resolve()
    args = [
        str(suite),
        "-c",
        os.devnull,  # no outside ini file is honoured
        "--rootdir",
        "/",  # module names are full dotted paths: two suites never collide
        "--confcutdir",
        str(suite),  # no conftest.py above the suite
        "--import-mode=importlib",
        "--assert=plain",  # a bare `assert acc > 0.9` must not print the hidden threshold
        "-p",
        "no:cacheprovider",
        "-p",
        "no:timeout",  # the engine enforces time limits in the worker
        "-p",
        "no:terminal",  # quiet: the report is built by the plugin
    ]
    if keyword:
        args += ["-k", keyword]
    with _clean_pytest_env(), _quiet():
        try:
            code = pytest.main(args, plugins=[plugin])
        finally:
            _forget_modules(suite)
    if plugin.collect_errors:
        raise GraderError(
            f"the hidden suite of {hw.name} could not be loaded: {plugin.collect_errors[0]}"
        )
    if code == pytest.ExitCode.USAGE_ERROR:
        raise GraderError(f"pytest refused its arguments (is -k {keyword!r} a valid expression?)")
    if code not in (
        pytest.ExitCode.OK,
        pytest.ExitCode.TESTS_FAILED,
        pytest.ExitCode.NO_TESTS_COLLECTED,
    ):
        raise GraderError(
            f"pytest could not run the hidden suite of {hw.name} (exit code {int(code)})"
        )


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """pytest's own messages (a bad -k expression) become our one-line GraderError."""
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        yield


@contextlib.contextmanager
def _clean_pytest_env() -> Iterator[None]:
    saved = {k: os.environ.pop(k) for k in _PYTEST_ENV if k in os.environ}
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # no third-party plugin reorders or skips
    try:
        yield
    finally:
        os.environ.pop("PYTEST_DISABLE_PLUGIN_AUTOLOAD", None)
        os.environ.update(saved)


def _forget_modules(suite: Path) -> None:
    """Drop the suite's modules so the next grade() in this process imports them afresh."""
    prefix = str(suite) + os.sep
    for name, module in list(sys.modules.items()):
        if str(getattr(module, "__file__", None) or "").startswith(prefix):
            del sys.modules[name]


def _header(device: str, threads: int, verbose: bool) -> list[str]:
    layers = sandboxing.probe()
    lines = [f"device: {device}, {threads} thread{'s' if threads != 1 else ''}", layers.summary()]
    if verbose:
        lines += layers.lines()
    return lines
