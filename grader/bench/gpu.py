"""GPU figures (`make bench-gpu`): the calibration speed on CUDA, the hw1 and hw3 references
graded on the GPU (twice: the scores must be identical) and on the CPU, the GPU/CPU
time ratio, and the peak GPU memory while grading.

Every step is a fresh `grader` command, as a user would run it; this process only counts
the GPUs (through NVML: CUDA stays uninitialised here) and polls `nvidia-smi` for memory.
On a machine without CUDA the area is skipped, with NO_DEVICE as its line.
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from grader import homeworks
from grader.bench import Figure, Skipped
from grader.homeworks import PROJECT_ROOT
from grader.timing.device import cuda_device_count

NO_DEVICE = "no CUDA device: skipping the GPU benchmark"
GRADED = ("hw1", "hw3")
GRADE_LIMIT_S = 300.0
POLL_S = 0.2

# Calibrates CUDA into the grader's cache, as `grader calibrate --device cuda` does, and
# prints the figures as JSON; CUDA is initialised in that child only.
_CALIBRATE = """
import json, torch
from grader.timing import calibrate, default_threads
c = calibrate("cuda", default_threads(), force=True)
print(json.dumps({"speed": c.speed, "duration_s": c.duration_s,
                  "name": torch.cuda.get_device_name(0)}))
"""


def _command(cmd: list[str], what: str, limit_s: float = GRADE_LIMIT_S) -> tuple[float, str]:
    """(wall seconds, stdout) of a command that must succeed; `what` names it in errors."""
    start = time.perf_counter()
    proc = subprocess.run(
        cmd, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=limit_s, check=False
    )
    if proc.returncode != 0:
        tail = (proc.stdout + proc.stderr).strip().splitlines()[-1:] or ["no output"]
        raise RuntimeError(f"{what} exited {proc.returncode}: {tail[0]}")
    return time.perf_counter() - start, proc.stdout


def _grade(name: str, device: str, out: Path) -> tuple[float, dict[str, Any]]:
    """(wall seconds, JSON report) of `grader grade NAME <reference> --device DEVICE`."""
    hw = homeworks.get(name)
    if hw.solution_dir is None:
        raise RuntimeError(f"{name} has no reference solution")
    cmd = [
        sys.executable,
        "-m",
        "grader",
        "grade",
        name,
        str(hw.solution_dir),
        "--device",
        device,
        "--json",
        str(out),
    ]
    seconds, _ = _command(cmd, f"grader grade {name} --device {device}")
    return seconds, json.loads(out.read_text())


def _scores(report: dict[str, Any]) -> dict[str, float]:
    return {str(t["name"]): float(t["score"]) for t in report["tests"]}


class PeakMemory:
    """The highest `memory.used` nvidia-smi reports for GPU 0 while the block runs, minus
    what was in use before it: the graders' workers, CUDA contexts included."""

    def __init__(self) -> None:
        self.baseline_mib = self.peak_mib = self._used()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    @staticmethod
    def _used() -> float:
        if shutil.which("nvidia-smi") is None:
            return float("nan")
        cmd = ["nvidia-smi", "--query-gpu=memory.used", "--format=csv,noheader,nounits", "-i", "0"]
        try:
            out = subprocess.run(cmd, capture_output=True, text=True, timeout=10, check=True)
            return float(out.stdout.strip().splitlines()[0])
        except (subprocess.SubprocessError, ValueError, IndexError, OSError):
            return float("nan")

    def _poll(self) -> None:
        while not self._stop.wait(POLL_S):
            used = self._used()
            if not math.isnan(used) and (math.isnan(self.peak_mib) or used > self.peak_mib):
                self.peak_mib = used

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def used_mib(self) -> float:
        return self.peak_mib - self.baseline_mib


def _homework_figures(name: str, tmp: Path) -> list[Figure]:
    cpu_s, cpu_report = _grade(name, "cpu", tmp / f"{name}-cpu.json")
    with PeakMemory() as memory:
        gpu_runs = [_grade(name, "cuda", tmp / f"{name}-cuda-{k}.json") for k in (1, 2)]
    (gpu_s, first), (gpu2_s, second) = gpu_runs
    a, b = _scores(first), _scores(second)
    differing = sorted(t for t in a.keys() | b.keys() if a.get(t) != b.get(t))
    total, most = sum(a.values()), sum(t["max_score"] for t in first["tests"])
    figures = [
        Figure(f"grade {name} reference on cpu (full suite)", round(cpu_s, 1), "s"),
        Figure(f"grade {name} reference on cuda, run 1", round(gpu_s, 1), "s"),
        Figure(f"grade {name} reference on cuda, run 2", round(gpu2_s, 1), "s"),
        Figure(f"{name}: cuda / cpu grading time", round(gpu_s / cpu_s, 2), "x"),
        Figure(f"{name}: score on cuda, out of {most:g}", total, "points"),
        Figure(f"{name}: score on cpu", sum(_scores(cpu_report).values()), "points"),
        Figure(
            f"{name}: tests scored differently by the two cuda runs", len(differing), "", "<= 0"
        ),
    ]
    if not math.isnan(memory.used_mib):  # nvidia-smi answered
        figures.append(
            Figure(
                f"{name}: peak GPU memory while grading (nvidia-smi)", round(memory.used_mib), "MiB"
            )
        )
    return figures


def run() -> list[Figure]:
    if cuda_device_count() == 0:
        raise Skipped(NO_DEVICE)
    _, out = _command([sys.executable, "-c", _CALIBRATE], "calibration on cuda")
    calibration = json.loads(out.strip().splitlines()[-1])
    figures = [
        Figure(
            f"calibration speed, cuda ({calibration['name']})",
            round(calibration["speed"], 2),
            "x reference",
        ),
        Figure("calibration benchmark, cuda", round(calibration["duration_s"], 2), "s"),
    ]
    with tempfile.TemporaryDirectory(prefix="grader-bench-gpu-") as tmp:
        for name in GRADED:
            figures += _homework_figures(name, Path(tmp))
    return figures
