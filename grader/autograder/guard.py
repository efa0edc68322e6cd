"""Exactly one results.json per run, whoever gets there first.

The grading run writes it in a `finally:`. Two things can end a run before that:
Gradescope's run limit (a SIGKILL that leaves no file, which students see as "The
autograder failed to execute correctly") and a SIGTERM. The guard arms a watchdog that
fires `margin_s` before the limit and handles SIGTERM; both write a clear result and exit.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path
from types import FrameType
from typing import Any

from grader.autograder.notices import notice
from grader.formatters import write_json_atomic
from grader.sandbox import kill

__all__ = ["ResultsGuard"]


class ResultsGuard:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.started = time.monotonic()
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
            return True

    def __enter__(self) -> ResultsGuard:
        self._previous_term = signal.signal(signal.SIGTERM, self._on_term)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._timer is not None:
            self._timer.cancel()
        signal.signal(signal.SIGTERM, self._previous_term)

    def arm(self, limit_s: float, margin_s: float) -> None:
        """Write a time-limit result and exit `margin_s` before `limit_s` after the start."""
        minutes = limit_s / 60.0
        message = (
            f"Grading did not finish within the {minutes:g}-minute limit. If your training "
            "runs long, make it do less work; otherwise contact course staff."
        )
        delay = max(1.0, limit_s - margin_s - (time.monotonic() - self.started))
        self._timer = threading.Timer(delay, self._expire, ("Time limit", message, "timed_out"))
        self._timer.daemon = True
        self._timer.start()

    def _on_term(self, signum: int, frame: FrameType | None) -> None:
        # Not in the handler itself: the main thread may hold the lock mid-write.
        message = "Grading was stopped (SIGTERM) before it finished; please resubmit."
        args = ("Stopped", message, "terminated")
        threading.Thread(target=self._expire, args=args, daemon=True).start()

    def _expire(self, name: str, message: str, flag: str) -> None:
        if self.write(notice(name, message, extra={flag: True})):
            # Kill the whole tree first (zygote, relays, workers in their own sessions):
            # a worker blocked forever must not outlive grading.
            for child in kill.descendants(os.getpid()):
                kill.kill_tree(child)
            os._exit(0)
