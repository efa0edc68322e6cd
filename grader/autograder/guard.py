"""Exactly one results.json per run, whoever gets there first.

The grading run writes it in a `finally:`. Three things can end a run before that:
Gradescope's run limit (a SIGKILL that leaves no file, which students see as "The
autograder failed to execute correctly"), a SIGTERM, and the kernel killing the grader for
memory. The guard arms a watchdog that fires `margin_s` before the limit and handles
SIGTERM; both write the tests finished so far, mark the rest "not run" with the reason,
kill whatever the run started, and exit. Against a kill that nothing can catch, the
guard keeps `results.json.partial` up to date after every test (finished tests plus "not
run" for the rest, flagged as the grader's problem); `run_autograder` moves it into place
when Python died without writing results.json.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from types import FrameType
from typing import Any

from grader.autograder.notices import notice
from grader.engine.plugin import NOT_RUN
from grader.engine.sandboxing import kill_descendants
from grader.formatters import write_json_atomic
from grader.results import GradeReport, TestResult

__all__ = ["PartialResults", "ResultsGuard"]

KILLED_REASON = (
    "grading was stopped before this test ran (the grader ran out of memory or was killed); "
    "this is not a problem with your code"
)


class PartialResults:
    """A `GradingListener` that remembers what finished, to report it if the run is cut."""

    def __init__(self, on_change: Callable[[PartialResults], None] | None = None) -> None:
        self.planned: list[TestResult] = []
        self.finished: dict[str, TestResult] = {}  # by test number
        self._on_change = on_change

    def tests_planned(self, results: list[TestResult]) -> None:
        self.planned = list(results)
        self._changed()

    def test_started(self, result: TestResult) -> None:
        pass  # only what finished is reported

    def call_progress(self, label: str, used_s: float, limit_s: float) -> None:
        pass

    def test_finished(self, result: TestResult) -> None:
        self.finished[result.number] = result
        self._changed()

    def _changed(self) -> None:
        if self._on_change is not None:
            self._on_change(self)

    def results(self, reason: str, message: str, extra: dict[str, Any]) -> dict[str, Any]:
        """results.json with every finished test as graded and the others "not run"."""
        from grader.formatters.gradescope import to_gradescope

        tests = [
            self.finished.get(t.number) or replace(t, output=f"{NOT_RUN}: {reason}")
            for t in self.planned
        ]
        data = to_gradescope(GradeReport(homework="", submission="", tests=tests, output=message))
        data["extra_data"] = {"rate_limited": False, **extra}
        return data


class ResultsGuard:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.partial_path = path.with_name(path.name + ".partial")
        self.started = time.monotonic()
        self.progress = PartialResults(on_change=self._save_partial)
        self._lock = threading.Lock()
        self._written = False
        self._timer: threading.Timer | None = None
        self._previous_term: Any = None

    def write(self, results: dict[str, Any]) -> bool:
        """Write `results` unless something already was; True when this call wrote."""
        with self._lock:
            if self._written:
                return False
            results.setdefault("execution_time", round(time.monotonic() - self.started, 3))
            write_json_atomic(self.path, results)
            self._written = True
            with contextlib.suppress(OSError):
                self.partial_path.unlink()
            return True

    def _save_partial(self, progress: PartialResults) -> None:
        """What results.json should say if the grader is killed before the next test ends."""
        message = (
            "Grading was stopped before it finished (the grader ran out of memory or was "
            "killed). The tests that finished are shown; this is not a problem with your "
            "code: course staff will regrade it."
        )
        partial = progress.results(KILLED_REASON, message, {"autograder_error": True})
        with self._lock:
            if not self._written:
                with contextlib.suppress(OSError):
                    write_json_atomic(self.partial_path, partial)

    def __enter__(self) -> ResultsGuard:
        self._previous_term = signal.signal(signal.SIGTERM, self._on_term)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._timer is not None:
            self._timer.cancel()
        signal.signal(signal.SIGTERM, self._previous_term)

    def arm(self, limit_s: float, margin_s: float) -> None:
        """Write the results so far and exit `margin_s` before `limit_s` after the start."""
        minutes = limit_s / 60.0
        message = (
            f"Grading did not finish within the {minutes:g}-minute limit; the tests that "
            "finished are scored, the others were not run. If your training runs long, make "
            "it do less work; otherwise contact course staff."
        )
        reason = f"the grading time limit ({minutes:g} min) was reached"
        delay = max(1.0, limit_s - margin_s - (time.monotonic() - self.started))
        args = ("Time limit", message, reason, "timed_out")
        self._timer = threading.Timer(delay, self._expire, args)
        self._timer.daemon = True
        self._timer.start()

    def _on_term(self, signum: int, frame: FrameType | None) -> None:
        # Not in the handler itself: the main thread may hold the lock mid-write.
        message = "Grading was stopped (SIGTERM) before it finished; please resubmit."
        args = ("Stopped", message, "grading was stopped (SIGTERM)", "terminated")
        threading.Thread(target=self._expire, args=args, daemon=True).start()

    def _expire(self, name: str, message: str, reason: str, flag: str) -> None:
        if self.progress.planned:
            results = self.progress.results(reason, message, {flag: True})
        else:  # stopped before the suite was even collected
            results = notice(name, message, extra={flag: True})
        if self.write(results):
            # The zygote and the workers would die with us (parent-death signals), but a
            # stray one must not outlive the run even for a moment.
            kill_descendants(os.getpid())
            os._exit(0)
