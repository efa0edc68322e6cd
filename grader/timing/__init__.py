"""Device choice and calibrated training budgets (see docs/timing.md).

Usage::

    >>> device = choose_device()              # --device, $GRADER_DEVICE, cuda, mps, cpu
    >>> cal = calibrate(device, threads=2)    # cached per machine, device, threads, torch
    >>> cal.seconds(48)                       # 48 reference units -> seconds here
"""

from __future__ import annotations

from grader.timing.calibration import (
    MAX_BUDGET_SPEEDUP,
    Calibration,
    cache_dir,
    cache_path,
    calibrate,
    machine_key,
)
from grader.timing.device import choose_device, default_threads, device_type

__all__ = [
    "MAX_BUDGET_SPEEDUP",
    "Calibration",
    "cache_dir",
    "cache_path",
    "calibrate",
    "choose_device",
    "default_threads",
    "device_type",
    "machine_key",
]
