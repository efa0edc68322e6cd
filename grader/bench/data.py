"""Dataset figures: `make data` from nothing (into a temporary directory) and its re-run.

Both run the real CLI (`python -m grader data`) in a subprocess, as `make data` does. The
CPU seconds of the cold run are reported too: on a busy machine they move less than the
wall time.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from grader.bench import Figure
from grader.errors import GraderError

COLD_TARGET_S = 30.0
RERUN_TARGET_S = 1.0


def _timed_cli(env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the child) of one `grader data` run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "grader", "data"], env=env, capture_output=True, text=True
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise GraderError(f"`grader data` failed with exit code {proc.returncode}: {last}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def run() -> list[Figure]:
    with tempfile.TemporaryDirectory(prefix="bench-data-") as tmp:
        env = {
            **os.environ,
            "COURSEDATA_DIR": str(Path(tmp) / "data"),
            "COURSEDATA_HIDDEN_DIR": str(Path(tmp) / "hidden"),
        }
        cold_wall, cold_cpu = _timed_cli(env)
        rerun_wall, _ = _timed_cli(env)
    return [
        Figure("make data cold (all datasets, temp dir)", round(cold_wall, 2), "s", COLD_TARGET_S),
        Figure("make data cold, CPU time", round(cold_cpu, 2), "s", None),
        Figure("make data re-run (all present)", round(rerun_wall, 2), "s", RERUN_TARGET_S),
    ]
