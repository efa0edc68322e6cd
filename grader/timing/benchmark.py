"""The calibration subprocess: `python -m grader.timing.benchmark DEVICE THREADS` times the
workload in this fresh process and prints one JSON line:

    {"device_name": "AMD EPYC", "kernel_seconds": {"cnn": 0.021, ...}, "duration_s": 1.1}

`grader.timing.calibration` starts it with the workers' thread environment and reads the
line back; it is trusted grader code and never runs student code.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any


def measure_here(device: str, threads: int) -> dict[str, Any]:
    """Time the workload on `device` with `threads` torch threads and name the device."""
    import torch

    from grader.timing.calibration import cpu_model
    from grader.timing.device import device_type
    from grader.timing.workload import run_workload

    start = time.perf_counter()
    torch.set_num_threads(threads)
    kind = device_type(device)
    if kind == "cuda":
        name = torch.cuda.get_device_name(torch.device(device))
    elif kind == "mps":
        name = f"Apple MPS ({cpu_model()})"
    else:
        name = cpu_model()
    kernel_seconds = run_workload(device)
    return {
        "device_name": name,
        "kernel_seconds": kernel_seconds,
        "duration_s": time.perf_counter() - start,
    }


def main(argv: list[str]) -> int:
    if len(argv) != 2 or not argv[1].isdigit() or int(argv[1]) < 1:
        print("usage: python -m grader.timing.benchmark DEVICE THREADS", file=sys.stderr)
        return 2
    print(json.dumps(measure_here(argv[0], int(argv[1]))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
