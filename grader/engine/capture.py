"""Worker side: the student's stdout and stderr (file descriptors 1 and 2) go into a pipe.

A reader thread keeps the first `cap` bytes and only counts the rest, so a submission that
prints megabytes neither blocks on a full pipe nor floods the report. `take()` returns
what arrived since the last call; the worker sends it back with every answer.
"""

from __future__ import annotations

import os
import select
import sys
import threading


class OutputCapture:
    def __init__(self, cap_bytes: int) -> None:
        self.cap_bytes = cap_bytes
        self._kept = 0
        self._pending = bytearray()
        self._dropped = 0
        self._lock = threading.Lock()
        self._read_fd = -1

    def start(self) -> None:
        read_fd, write_fd = os.pipe()
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        os.dup2(write_fd, 1)
        os.dup2(write_fd, 2)
        os.close(write_fd)
        os.set_blocking(read_fd, False)
        self._read_fd = read_fd
        threading.Thread(target=self._pump, name="grader-output", daemon=True).start()

    def _pump(self) -> None:
        while True:
            select.select([self._read_fd], [], [], 0.5)
            if not self._drain():
                return

    def _drain(self) -> bool:
        """Read everything available now; False once the pipe is closed."""
        with self._lock:
            while True:
                try:
                    chunk = os.read(self._read_fd, 1 << 16)
                except BlockingIOError:
                    return True
                except OSError:
                    return False
                if not chunk:
                    return False
                room = max(0, self.cap_bytes - self._kept)
                self._pending += chunk[:room]
                self._kept += min(room, len(chunk))
                self._dropped += max(0, len(chunk) - room)

    def take(self) -> dict[str, object]:
        """{"text": new output (invalid UTF-8 replaced), "dropped": bytes not kept so far}."""
        for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
            try:
                if stream is not None:
                    stream.flush()
            except Exception:  # noqa: BLE001 - a student may have replaced the stream
                pass
        self._drain()
        with self._lock:
            text = self._pending.decode("utf-8", errors="replace")
            self._pending = bytearray()
            return {"text": text, "dropped": self._dropped}
