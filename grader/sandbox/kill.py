"""Killing a worker and everything it started, including children that called setsid().

The pid the engine holds is the worker's relay (child.py). The relay is a child subreaper,
so an orphaned grandchild is re-parented to it instead of to init and stays a descendant;
in a PID namespace the relay's child is the namespace's init, whose death makes the kernel
kill every process in the namespace. Descendants are therefore always found by walking the
parent links in /proc, and they are killed before the relay, so none is orphaned to init.
"""

from __future__ import annotations

import os
import signal
import time

from grader.procfs import stat_fields
from grader.sandbox.policy import SandboxPolicy

_MAX_ROUNDS = 200  # a fork bomb loses a round per fork generation; it converges in a few


def _stat(pid: str) -> tuple[int, str] | None:
    """(ppid, state) of a /proc entry, or None if it is gone."""
    fields = stat_fields(pid)
    return None if fields is None else (int(fields[1]), fields[0].decode())


def process_table() -> dict[int, tuple[int, str]]:
    """pid -> (ppid, state) for every visible process."""
    table: dict[int, tuple[int, str]] = {}
    if not os.path.isdir("/proc/self"):
        return table  # no procfs (macOS): kill_tree falls back to the process group
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            info = _stat(entry)
            if info is not None:
                table[int(entry)] = info
    return table


def descendants(pid: int, table: dict[int, tuple[int, str]] | None = None) -> list[int]:
    """Every live (non-zombie) descendant of pid, parents before children."""
    table = process_table() if table is None else table
    children: dict[int, list[int]] = {}
    for child, (ppid, _state) in table.items():
        children.setdefault(ppid, []).append(child)
    found, frontier = [], [pid]
    while frontier:
        nxt = []
        for p in frontier:
            for c in children.get(p, ()):
                nxt.append(c)
                if table[c][1] not in ("Z", "X"):
                    found.append(c)
        frontier = nxt
    return found


def _kill(pid: int, sig: int = signal.SIGKILL) -> None:
    try:
        os.kill(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def kill_descendants(pid: int) -> int:
    """SIGKILL every descendant of pid until none is left alive; returns how many died."""
    killed: set[int] = set()
    for _ in range(_MAX_ROUNDS):
        alive = descendants(pid)
        if not alive:
            break
        for p in alive:
            _kill(p)
        killed.update(alive)
        time.sleep(0.001)  # let the kernel deliver before the next scan
    return len(killed)


def kill_tree(pid: int, policy: SandboxPolicy | None = None) -> None:
    """Kill the worker `pid` (the pid fork returned) and everything below it.

    Call it before reaping the worker: once reaped, its pid may belong to a stranger.
    Safe to call on a worker that already exited.
    """
    kill_descendants(pid)
    try:
        os.killpg(pid, signal.SIGKILL)  # the relay called setsid: pgid == pid
    except (ProcessLookupError, PermissionError):
        pass
    _kill(pid)
