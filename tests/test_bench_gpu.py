"""`make bench-gpu` on a machine without CUDA: one clear line, exit status 0."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from grader.bench.gpu import NO_DEVICE

ROOT = Path(__file__).resolve().parents[1]


def test_gpu_bench_skips_cleanly_without_cuda(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": ""}  # no GPU, even on a machine with one
    proc = subprocess.run(
        [sys.executable, "-m", "grader.bench", "--only", "gpu", "--out", str(out)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert NO_DEVICE == "no CUDA device: skipping the GPU benchmark"
    assert any(line.split(None, 1)[-1].strip() == NO_DEVICE for line in proc.stdout.splitlines())
    assert json.loads(out.read_text())["areas"]["gpu"] == {"skipped": NO_DEVICE}
