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

from grader import homeworks, sandbox
from grader.engine.plugin import GraderPlugin, GradingListener
from grader.engine.session import GradingSession
from grader.engine.submission import locate_submission
from grader.errors import GraderError
from grader.homeworks import Homework
from grader.results import GradeReport

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
) -> GradeReport:
    """Grade one submission (a folder holding `<pkg>/`, the package folder, or a .zip).

    `keyword` is a pytest -k expression selecting hidden tests. `listener` hears of the
    planned tests and of each result as it is made. Bad input (an unknown homework, a
    missing path, a corrupt zip) raises a one-line `GraderError`.
    """
    start = time.monotonic()
    hw = homework if isinstance(homework, Homework) else homeworks.get(homework)
    if not hw.has_hidden_suite:
        raise GraderError(
            f"homework {hw.name} has no hidden suite ({hw.suite_dir} holds no test_*.py)"
        )
    device = _choose_device(device)
    threads = int(threads) if threads else _default_threads()
    if threads < 1:
        raise GraderError(f"threads must be at least 1, got {threads}")
    with tempfile.TemporaryDirectory(prefix="grader-") as tmp:
        root = locate_submission(submission, hw, Path(tmp) / "submission")
        session = GradingSession(hw, root, device=device, threads=threads)
        plugin = GraderPlugin(session, listener)
        try:
            _run_suite(hw, plugin, keyword)
        finally:
            session.close()
    report = GradeReport(
        homework=hw.name,
        submission=str(submission),
        tests=plugin.results,
        device=device,
        leaderboard=plugin.leaderboard,
    )
    if any(t.extra_data.get("grader_side") for t in report.tests):
        # Gradescope does not count such a run against the student's submission limit.
        report.extra_data["autograder_error"] = True
    report.output = "\n".join(_header(device, threads, verbose) + session.notes)
    report.execution_time = round(time.monotonic() - start, 3)
    return report


def _run_suite(hw: Homework, plugin: GraderPlugin, keyword: str | None) -> None:
    suite = hw.suite_dir.resolve()
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
    layers = sandbox.probe()
    lines = [f"device: {device}, {threads} thread{'s' if threads != 1 else ''}", layers.summary()]
    if verbose and hasattr(layers, "lines"):
        lines += layers.lines()
    return lines


def _choose_device(device: str | None) -> str:
    try:
        from grader.timing import choose_device
    except ImportError:  # grader.timing not installed: fall back to the CPU
        return device or "cpu"
    return choose_device(device)


def _default_threads() -> int:
    try:
        from grader.timing import default_threads
    except ImportError:
        return min(2, os.cpu_count() or 1)
    return default_threads()
