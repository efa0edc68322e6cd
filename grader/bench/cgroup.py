"""A memory cgroup around a command: its peak memory and a limit, as a small container has.

    with MemoryCgroup(limit_bytes=1536 << 20) as group:
        subprocess.run(cmd, preexec_fn=group.enter)
    group.peak_bytes, group.oom_kills

cgroup v2 (`memory.max`, `memory.peak`, `memory.events`) where the unified hierarchy has
the memory controller, else v1 (`memory.limit_in_bytes`, `memory.max_usage_in_bytes`,
`memory.oom_control`). Creating one needs root (or a delegated subtree);
`MemoryCgroup.unavailable()` says why not, for a test's skip reason.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from types import TracebackType

__all__ = ["MemoryCgroup"]

V2_ROOT = Path("/sys/fs/cgroup")
V2_UNIFIED = Path("/sys/fs/cgroup/unified")  # hybrid systems mount v2 here
V1_ROOT = Path("/sys/fs/cgroup/memory")


def _v2_root() -> Path | None:
    for root in (V2_ROOT, V2_UNIFIED):
        controllers = root / "cgroup.controllers"
        with contextlib.suppress(OSError):
            if "memory" in controllers.read_text().split():
                return root
    return None


def _own_v1_parent() -> Path:
    """The v1 memory cgroup this process is in (a new one nests under it)."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            _id, controllers, path = line.split(":", 2)
            if "memory" in controllers.split(","):
                return V1_ROOT / path.lstrip("/")
    return V1_ROOT


class MemoryCgroup:
    def __init__(self, limit_bytes: int | None = None, name: str | None = None) -> None:
        self.limit_bytes = limit_bytes
        self.name = name or f"dl-course-grader-{os.getpid()}-{id(self):x}"
        root = _v2_root()
        self.version = 2 if root is not None else 1
        parent = root if root is not None else _own_v1_parent()
        self.path = parent / self.name
        self.peak_bytes: int | None = None
        self.oom_kills = 0

    @staticmethod
    def unavailable() -> str | None:
        """Why no memory cgroup can be made here, or None when one can."""
        try:
            probe = MemoryCgroup()
            probe.path.mkdir()
            probe.path.rmdir()
        except OSError as exc:
            return f"cannot create a memory cgroup here ({exc.strerror or exc}; needs root)"
        return None

    def __enter__(self) -> MemoryCgroup:
        self.path.mkdir()
        if self.limit_bytes is not None:
            if self.version == 2:
                self._write("memory.max", str(self.limit_bytes))
                self._write("memory.swap.max", "0", optional=True)
            else:
                self._write("memory.limit_in_bytes", str(self.limit_bytes))
                self._write("memory.memsw.limit_in_bytes", str(self.limit_bytes), optional=True)
        return self

    def enter(self) -> None:
        """Move the calling process into the group (use as a subprocess's preexec_fn)."""
        self._write("cgroup.procs", str(os.getpid()))

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        peak_file = "memory.peak" if self.version == 2 else "memory.max_usage_in_bytes"
        with contextlib.suppress(OSError, ValueError):
            self.peak_bytes = int((self.path / peak_file).read_text())
        self.oom_kills = self._oom_kills()
        self._kill_members()
        with contextlib.suppress(OSError):
            self.path.rmdir()

    def _oom_kills(self) -> int:
        events = "memory.events" if self.version == 2 else "memory.oom_control"
        with contextlib.suppress(OSError, ValueError):
            for line in (self.path / events).read_text().splitlines():
                key, _, value = line.partition(" ")
                if key == "oom_kill":
                    return int(value)
        return 0

    def _kill_members(self) -> None:
        with contextlib.suppress(OSError):
            for pid in (self.path / "cgroup.procs").read_text().split():
                with contextlib.suppress(OSError):
                    os.kill(int(pid), 9)

    def _write(self, name: str, value: str, *, optional: bool = False) -> None:
        try:
            (self.path / name).write_text(value)
        except OSError:
            if not optional:
                raise
