"""Why a batch should stop now: Ctrl-C, SIGTERM/SIGHUP, or the overall deadline.

Signal handlers only record the reason; the executors' loops look at it every poll and
stop their jobs, and the command still writes the gradebook of what finished.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


class Stop:
    def __init__(self, deadline_s: float | None = None) -> None:
        self._reason = ""
        self._deadline = None if deadline_s is None else time.monotonic() + deadline_s
        self._deadline_s = deadline_s

    @property
    def reason(self) -> str:
        if not self._reason and self._deadline is not None and time.monotonic() > self._deadline:
            self._reason = f"the overall deadline ({self._deadline_s:g} s) was reached"
        return self._reason

    def request(self, reason: str) -> None:
        self._reason = self._reason or reason

    @contextmanager
    def on_signals(self) -> Iterator[Stop]:
        """Turn SIGINT, SIGTERM and SIGHUP into a stop request while inside the block."""

        def handler(signum: int, _frame: FrameType | None) -> None:
            self.request(f"interrupted by {signal.Signals(signum).name}")

        wanted = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
        previous = {sig: signal.signal(sig, handler) for sig in wanted}
        try:
            yield self
        finally:
            for sig, old in previous.items():
                signal.signal(sig, old)
