"""The worker's view of the file system, inside its private mount namespace.

Hidden directories get an empty, read-only tmpfs with mode 000 mounted over them and hidden
files get /dev/null, so the worker sees nothing there whatever the permission bits say
(this is the layer that protects a grader that does not run as root). In a PID namespace
a fresh /proc shows the worker only its own processes.

Mounts made here could be undone by a process holding CAP_SYS_ADMIN; the worker drops all
capabilities afterwards, and a nested user namespace sees them locked by the kernel.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from grader.sandbox import syscalls

_RO_FLAGS = syscalls.MS_RDONLY | syscalls.MS_NOSUID | syscalls.MS_NODEV | syscalls.MS_NOEXEC


def make_private() -> None:
    """Stop mount events propagating back to the host's namespace."""
    syscalls.mount("none", "/", None, syscalls.MS_REC | syscalls.MS_PRIVATE, None)


def _outermost(paths: Iterable[str]) -> list[str]:
    """Existing real paths, dropping any that lie under another (it would be hidden)."""
    real = sorted({os.path.realpath(p) for p in paths if os.path.exists(p)})
    kept: list[str] = []
    for path in real:
        if not any(path == k or path.startswith(k.rstrip("/") + "/") for k in kept):
            kept.append(path)
    return kept


def hide(paths: Iterable[str]) -> list[str]:
    """Mount over each existing path; returns the paths hidden.

    A path that cannot be covered is skipped rather than failing the worker: the probe's
    trial worker tries to read every hidden path, so `grader doctor` shows it as readable.
    """
    hidden = []
    for path in _outermost(paths):
        try:
            if os.path.isdir(path):
                syscalls.mount("tmpfs", path, "tmpfs", _RO_FLAGS, "size=4k,nr_inodes=1,mode=000")
            else:
                syscalls.mount("/dev/null", path, None, syscalls.MS_BIND, None)
        except OSError:
            continue
        hidden.append(path)
    return hidden


def mount_proc() -> None:
    """A /proc of the worker's own PID namespace (call as its PID 1)."""
    syscalls.mount(
        "proc", "/proc", "proc", syscalls.MS_NOSUID | syscalls.MS_NODEV | syscalls.MS_NOEXEC, None
    )
