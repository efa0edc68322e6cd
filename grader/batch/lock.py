"""One batch at a time per runs/ folder: an flock on `<out>/.lock`.

The kernel drops the lock when the holding process dies, however it dies, so a killed
batch never leaves a stale lock behind; the file only tells the next TA who holds it.
"""

from __future__ import annotations

import fcntl
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from grader.batch.journal import now_iso
from grader.errors import GraderError


@contextmanager
def batch_lock(out: Path) -> Iterator[None]:
    out.mkdir(parents=True, exist_ok=True)
    path = out / ".lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 300, 0).decode("utf-8", "replace").strip() or "another process"
            raise GraderError(
                f"another batch is already grading into {out} ({holder}); "
                "wait for it to finish or stop it, then run again"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(
            fd, f"pid {os.getpid()} on {socket.gethostname()}, since {now_iso()}\n".encode(), 0
        )
        yield
    finally:
        os.close(fd)  # releases the lock
