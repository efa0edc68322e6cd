"""How fast this machine trains, relative to the reference machine, cached per machine.

A budget is written in reference units: 1 unit = 1 second of training on the reference
machine (this project's 2-core CI machine with 2 torch threads), which costs it
UNIT_CPU_S seconds of CPU time. `calibrate` times the fixed workload of
`grader.timing.workload` on a device with a thread count and turns the result into
`Calibration.speed` (0.8 = this machine needs 1.25x the reference's time per unit).

On a CPU the workload is timed in CPU time and budgets are CPU seconds of the worker's
process tree: other processes on a busy machine cannot spend those, so neither the
calibration nor the budget moves with the machine's load. On a GPU both are wall seconds.

The benchmark (`grader.timing.benchmark`) runs in a short-lived subprocess of the trusted
parent, never in a worker that runs student code: it gets the same pinned thread count as
the workers, and the grading process never initialises CUDA (no GPU memory held, nothing
fork-unsafe). Results are cached in a JSON file keyed by host, CPU model, device, thread
count, torch version and workload version.
"""

from __future__ import annotations

import json
import math
import os
import platform
import socket
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from grader.errors import GraderError
from grader.timing.device import device_type

CACHE_ENV = "GRADER_CACHE_DIR"
CACHE_FILE = "calibration.json"
# Budgets treat a device faster than this as this fast: small models on a fast GPU are
# bound by Python and data loading, which the benchmark's kernels under-represent.
MAX_BUDGET_SPEEDUP = 5.0
# CPU seconds one reference unit costs: the reference machine's 2 threads training for one
# second, at the parallel efficiency its workload measures (about 1.7-1.9 CPU s per second).
UNIT_CPU_S = 2.0
SUBPROCESS_TIMEOUT_S = 300.0  # importing torch on a 0.5-vCPU container is slow


@dataclass(frozen=True)
class Calibration:
    device: str
    threads: int
    speed: float  # reference time / this machine's time for the same work
    workload_s: float  # best seconds of one pass of the workload here
    kernel_seconds: dict[str, float]
    device_name: str
    measured_at: str  # ISO 8601, UTC
    duration_s: float  # wall seconds the benchmark took, set-up included
    load_average: float | None = None  # 1-minute load when measured: busy machines run slow
    key: str = ""
    cache_path: Path | None = None  # where it is cached; None when the cache is unwritable
    from_cache: bool = False
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def budget_speed(self) -> float:
        """The speed budgets are converted with: `speed`, capped at MAX_BUDGET_SPEEDUP."""
        return min(self.speed, MAX_BUDGET_SPEEDUP)

    @property
    def charges_cpu_time(self) -> bool:
        """Budgets on this device are CPU seconds (CPU) rather than wall seconds (GPUs)."""
        return device_type(self.device) == "cpu"

    @property
    def unit(self) -> str:
        """How a budget's seconds are counted here: "CPU s" or "s"."""
        return "CPU s" if self.charges_cpu_time else "s"

    def seconds(self, units: float) -> float:
        """The budget for `units` reference units of training on this machine: CPU seconds
        of the worker's process tree on a CPU, wall seconds on a GPU."""
        if not (math.isfinite(units) and units > 0):
            raise ValueError(f"a budget needs a positive number of units, got {units!r}")
        per_unit = UNIT_CPU_S if self.charges_cpu_time else 1.0
        return units * per_unit / self.budget_speed

    def measured_busy(self) -> bool:
        """Whether other processes held the cores while this was measured (speed too low)."""
        return _is_busy(self.load_average)

    def summary(self) -> str:
        """E.g. "cpu, 2 threads: 1.00x reference (0.84 s workload)"."""
        plural = "thread" if self.threads == 1 else "threads"
        return (
            f"{self.device}, {self.threads} {plural}: {self.speed:.2f}x reference "
            f"({self.workload_s:.2f} s workload)"
        )


def cache_dir() -> Path:
    """`$GRADER_CACHE_DIR`, else ~/.cache/dl-course-grader."""
    configured = os.environ.get(CACHE_ENV, "").strip()
    if configured:
        return Path(configured).expanduser()
    return Path.home() / ".cache" / "dl-course-grader"


def cache_path() -> Path:
    return cache_dir() / CACHE_FILE


def machine_key(device: str, threads: int) -> str:
    """What a calibration is valid for: host, CPU model, device, threads, torch, workload."""
    import torch

    from grader.timing.workload import WORKLOAD_VERSION

    parts = [
        socket.gethostname(),
        cpu_model(),
        f"{device} ({accelerator_name(device)})" if device_type(device) != "cpu" else "cpu",
        f"threads={threads}",
        f"torch {torch.__version__}",
        f"workload v{WORKLOAD_VERSION}",
    ]
    return " | ".join(parts)


def calibrate(device: str, threads: int, *, force: bool = False) -> Calibration:
    """This machine's speed on `device` with `threads` torch threads, from the cache unless
    `force` or absent; a fresh measurement is written back to the cache.

    A cached speed measured on a busy machine is too low and would make every later budget
    too generous, so it is measured again once the machine is quiet. The other way round,
    a speed cached on a quiet machine is checked again while the machine is busy (CPU time
    still grows a little under contention: shared caches and memory bandwidth) and the
    slower of the two is used for this process, so a busy moment never gets a tighter
    budget than a quiet one; the cache keeps the quiet figure.

    An unreadable or corrupt cache is ignored and an unwritable one only means the next
    call measures again: grading never fails over the cache.
    """
    if threads < 1:
        raise GraderError(f"--threads must be at least 1, got {threads}")
    key = machine_key(device, threads)
    path = cache_path()
    entries = _read_cache(path)
    if not force and key in entries:
        cached = _from_entry(entries[key], key=key, path=path)
        busy_now = _is_busy(_load_average())
        if cached is not None and busy_now and not cached.measured_busy():
            now = _measure_in_subprocess(device, threads)
            return cached if cached.speed <= now.speed else _replace(now, key=key)
        if cached is not None and not (cached.measured_busy() and not busy_now):
            return cached
    measured = _measure_in_subprocess(device, threads)
    entry = {k: v for k, v in asdict(measured).items() if k not in ("key", "cache_path")}
    entry.pop("from_cache", None)
    entry.pop("notes", None)
    entries[key] = entry
    written = _write_cache(path, entries)
    notes = () if written else (f"could not write the calibration cache {path}",)
    return _replace(measured, key=key, cache_path=path if written else None, notes=notes)


def _replace(cal: Calibration, **changes: Any) -> Calibration:
    from dataclasses import replace

    return replace(cal, **changes)


def _from_entry(entry: Any, *, key: str, path: Path) -> Calibration | None:
    """A cached entry, or None when it is malformed or from another workload."""
    from grader.timing.workload import KERNELS

    try:
        kernel_seconds = {str(k): float(v) for k, v in entry["kernel_seconds"].items()}
        cal = Calibration(
            device=str(entry["device"]),
            threads=int(entry["threads"]),
            speed=float(entry["speed"]),
            workload_s=float(entry["workload_s"]),
            kernel_seconds=kernel_seconds,
            device_name=str(entry["device_name"]),
            measured_at=str(entry["measured_at"]),
            duration_s=float(entry["duration_s"]),
            load_average=None
            if entry.get("load_average") is None
            else float(entry["load_average"]),
            key=key,
            cache_path=path,
            from_cache=True,
        )
    except (KeyError, TypeError, ValueError, AttributeError):
        return None
    if set(kernel_seconds) != {k.name for k in KERNELS}:
        return None
    if not all(math.isfinite(v) and v > 0 for v in (cal.speed, *kernel_seconds.values())):
        return None
    return cal


def _read_cache(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    entries = data.get("entries") if isinstance(data, dict) else None
    return dict(entries) if isinstance(entries, dict) else {}


def _write_cache(path: Path, entries: dict[str, Any]) -> bool:
    """Atomic write (temp file + rename), so a concurrent reader never sees half a file."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"version": 1, "entries": entries}, indent=2, sort_keys=True))
        os.replace(tmp, path)
    except OSError:
        return False
    return True


def _measure_in_subprocess(device: str, threads: int) -> Calibration:
    """Run `python -m grader.timing.benchmark` and build a Calibration from its JSON."""
    from grader.timing.workload import KERNELS, speed_of

    n = str(threads)
    env = dict(os.environ, OMP_NUM_THREADS=n, MKL_NUM_THREADS=n, OPENBLAS_NUM_THREADS=n)
    env["OMP_WAIT_POLICY"] = "PASSIVE"  # as in the workers (grader.sandbox.worker_env)
    project_root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [project_root, env.get("PYTHONPATH")]))
    command = [sys.executable, "-m", "grader.timing.benchmark", device, n]
    load_before = _load_average()
    try:
        done = subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=SUBPROCESS_TIMEOUT_S
        )
    except subprocess.TimeoutExpired:
        raise GraderError(
            f"calibrating {device} took longer than {SUBPROCESS_TIMEOUT_S:.0f} s; is the "
            "machine overloaded?"
        ) from None
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise GraderError(f"calibrating {device} with {threads} threads failed: {last}")
    try:
        result = json.loads(lines[-1])
        kernel_seconds = {str(k): float(v) for k, v in result["kernel_seconds"].items()}
        device_name = str(result["device_name"])
        duration_s = float(result["duration_s"])
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise GraderError(f"calibrating {device} gave unreadable output: {exc}") from None
    expected = {k.name for k in KERNELS}
    if set(kernel_seconds) != expected or not all(
        math.isfinite(v) and v > 0 for v in kernel_seconds.values()
    ):
        raise GraderError(f"calibrating {device} gave implausible timings: {kernel_seconds}")
    return Calibration(
        device=device,
        threads=threads,
        speed=speed_of(kernel_seconds),
        workload_s=sum(kernel_seconds.values()),
        kernel_seconds=kernel_seconds,
        device_name=device_name,
        measured_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        duration_s=duration_s,
        load_average=_max_or_none(load_before, _load_average()),
    )


def _load_average() -> float | None:
    try:
        return os.getloadavg()[0]
    except (OSError, AttributeError):
        return None


def _is_busy(load_average: float | None) -> bool:
    """More runnable processes than cores (with some slack): timings run slow."""
    return load_average is not None and load_average > _usable_cores() + 0.5


def _max_or_none(*values: float | None) -> float | None:
    present = [v for v in values if v is not None]
    return max(present) if present else None


def _usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def cpu_model() -> str:
    """The CPU's marketing name, e.g. "AMD EPYC 7B13"; the architecture if unknown."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    if sys.platform == "darwin":
        try:
            done = subprocess.run(
                ["sysctl", "-n", "machdep.cpu.brand_string"],
                capture_output=True, text=True, timeout=5,
            )  # fmt: skip
            if done.returncode == 0 and done.stdout.strip():
                return done.stdout.strip()
        except (OSError, subprocess.SubprocessError):
            pass
    return platform.processor() or platform.machine() or "unknown cpu"


def accelerator_name(device: str) -> str:
    """The GPU model without initialising CUDA in this process (nvidia-smi), or "mps"."""
    if device_type(device) != "cuda":
        return device_type(device)
    try:
        done = subprocess.run(
            ["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"],
            capture_output=True, text=True, timeout=20,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return "unknown gpu"
    names = sorted({line.strip() for line in done.stdout.splitlines() if line.strip()})
    return " + ".join(names) or "unknown gpu"
