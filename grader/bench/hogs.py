"""Busy processes beside a measurement: the load a shared grading host or a laptop sees.

Each hog is a bounded `while` loop in its own interpreter: it ends by itself after
`max_s` even if the caller is killed, and the context manager kills it on exit.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator

__all__ = ["cpu_hogs"]


@contextlib.contextmanager
def cpu_hogs(
    count: int, *, cpu: int | None = None, max_s: float = 1800.0
) -> Iterator[list[subprocess.Popen[bytes]]]:
    """`count` processes that keep a CPU busy, optionally all pinned to CPU `cpu`."""
    code = f"import time\nend = time.monotonic() + {max_s}\nwhile time.monotonic() < end: pass"
    procs = [subprocess.Popen([sys.executable, "-c", code]) for _ in range(count)]
    try:
        if cpu is not None:
            for proc in procs:
                os.sched_setaffinity(proc.pid, {cpu})
        yield procs
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()


def main(argv: list[str]) -> int:
    """`python -m grader.bench.hogs N -- COMMAND...`: run COMMAND beside N CPU hogs."""
    if len(argv) < 3 or not argv[0].isdigit() or argv[1] != "--":
        print("usage: python -m grader.bench.hogs N -- COMMAND [ARG...]", file=sys.stderr)
        return 2
    with cpu_hogs(int(argv[0])):
        return subprocess.call(argv[2:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
