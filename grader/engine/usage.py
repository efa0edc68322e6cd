"""CPU time and CPU wait of a worker's process tree, read by the trusted parent from /proc.

Why CPU time: on a busy machine other processes take wall-clock time from the worker, but
they cannot spend its CPU time. A limit charged in CPU seconds gives the same verdict on a
quiet laptop and on a grading host at load 18 (docs/timing.md). The student's code cannot
fake these figures: the kernel keeps them and the parent reads them.

    meter = TreeMeter(relay_pid)
    before = meter.sample()
    ...                                   # the worker computes
    used = meter.sample().cpu_s - before.cpu_s

A sample reads the stat files of the processes already known (a few microseconds each)
and rescans /proc for new descendants (a few milliseconds) at most every RESCAN_S, so
sampling every tenth of a second costs well under 1 % of a core.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

from grader.procfs import stat_fields

__all__ = [
    "MachineLoad",
    "TreeMeter",
    "TreeUsage",
    "machine_busy_fraction",
    "memory_limit_bytes",
]

RESCAN_S = 1.0  # how often a long call looks for new processes (DataLoader workers, ...)
_TICK_S = 1.0 / (os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100)
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


@dataclass(frozen=True)
class TreeUsage:
    cpu_s: float  # user + system time of the tree's processes (all threads, reaped children)
    run_delay_s: float  # time its threads were runnable but waited for a CPU (schedstat)
    rss_bytes: int = 0  # resident memory of the tree now


@dataclass(frozen=True)
class _ProcStat:
    ppid: int
    cpu_s: float  # utime + stime + cutime + cstime
    rss_bytes: int


def _read_stat(pid: int) -> _ProcStat | None:
    fields = stat_fields(pid)
    if fields is None:
        return None
    try:
        ticks = sum(int(f) for f in fields[11:15])  # utime stime cutime cstime
        rss_pages = int(fields[21])
        return _ProcStat(ppid=int(fields[1]), cpu_s=ticks * _TICK_S, rss_bytes=rss_pages * _PAGE)
    except (IndexError, ValueError):
        return None


def _run_delay_s(pid: int) -> float:
    """Seconds the threads of `pid` spent runnable on a run queue without a CPU."""
    total = 0
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return 0.0
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat", "rb") as fh:
                total += int(fh.read().split()[1])  # "on-cpu-ns wait-ns timeslices"
        except (OSError, IndexError, ValueError):
            continue
    return total / 1e9


class TreeMeter:
    """Usage of the process tree under `root` (the worker's relay), as the kernel counts it.

    CPU time of the tree only grows: a process that exits is counted in its parent's
    cutime once reaped, and the meter never reports less than it did before.
    """

    def __init__(self, root: int) -> None:
        self.root = root
        self._known: set[int] = {root}
        self._last_scan = float("-inf")
        self._high_cpu = 0.0
        self.peak_rss_bytes = 0  # the largest resident memory of the tree any sample saw

    def _rescan(self) -> None:
        children: dict[int, list[int]] = {}
        for entry in os.listdir("/proc") if os.path.isdir("/proc/self") else ():
            if entry.isdigit():
                stat = _read_stat(int(entry))
                if stat is not None:
                    children.setdefault(stat.ppid, []).append(int(entry))
        tree, todo = set(), [self.root]
        while todo:
            pid = todo.pop()
            if pid not in tree:
                tree.add(pid)
                todo.extend(children.get(pid, ()))
        self._known = tree
        self._last_scan = time.monotonic()

    def sample(self, *, with_delay: bool = False) -> TreeUsage:
        # Until the worker shows up under its relay (it forks right after the relay starts),
        # look for it on every sample; after that, new processes only now and then.
        if len(self._known) < 2 or time.monotonic() - self._last_scan >= RESCAN_S:
            self._rescan()
        cpu, delay, rss = 0.0, 0.0, 0
        for pid in list(self._known):
            stat = _read_stat(pid)
            if stat is None:
                self._known.discard(pid)
                continue
            cpu += stat.cpu_s
            rss += stat.rss_bytes
            if with_delay:
                delay += _run_delay_s(pid)
        self._high_cpu = max(self._high_cpu, cpu)
        self.peak_rss_bytes = max(self.peak_rss_bytes, rss)
        return TreeUsage(cpu_s=self._high_cpu, run_delay_s=delay, rss_bytes=rss)


@dataclass(frozen=True)
class MachineLoad:
    """Jiffies from /proc/stat: how busy every CPU of the machine was between two samples."""

    busy: int
    total: int

    @classmethod
    def now(cls) -> MachineLoad | None:
        try:
            with open("/proc/stat", "rb") as fh:
                first = fh.readline().split()
        except OSError:
            return None
        try:
            values = [int(v) for v in first[1:9]]  # user nice system idle iowait irq softirq steal
        except ValueError:
            return None
        idle = values[3] + values[4]
        return cls(busy=sum(values) - idle, total=sum(values))


def machine_busy_fraction(before: MachineLoad | None, after: MachineLoad | None) -> float | None:
    """Fraction of all CPUs' time spent busy between two samples (None where unknown)."""
    if before is None or after is None or after.total <= before.total:
        return None
    return (after.busy - before.busy) / (after.total - before.total)


def memory_limit_bytes() -> int | None:
    """The memory this process may use: its cgroup's limit (v2 or v1) where one is set,
    else the machine's RAM; None where neither can be read."""
    limits: list[int] = []
    try:
        lines = open("/proc/self/cgroup").read().splitlines()
    except OSError:
        lines = []
    for line in lines:
        _id, controllers, path = line.split(":", 2)
        candidates = []
        if controllers == "":
            candidates = [f"/sys/fs/cgroup{path}/memory.max"]
        elif "memory" in controllers.split(","):
            candidates = [f"/sys/fs/cgroup/memory{path}/memory.limit_in_bytes"]
        for candidate in candidates:
            try:
                text = open(candidate).read().strip()
            except OSError:
                continue
            if text.isdigit() and int(text) < (1 << 60):
                limits.append(int(text))
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal:"):
                limits.append(int(line.split()[1]) * 1024)
    except (OSError, ValueError, IndexError):
        pass
    return min(limits) if limits else None
