"""Timing figures: the calibration benchmark (speed against the reference, how long it
takes) and what 10 reference units become in seconds with 1 and 2 torch threads; the same
on CUDA when a GPU is present.

Every calibration here is measured afresh into a throwaway cache, so the bench neither
reads nor changes the cache that grading uses.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager

from grader.bench import Figure
from grader.timing import Calibration, calibrate
from grader.timing.calibration import CACHE_ENV
from grader.timing.device import cuda_device_count

BUDGET_UNITS = 10.0
CALIBRATION_TARGET_S = 3.0  # the benchmark itself, torch import excluded


@contextmanager
def _throwaway_cache() -> Iterator[None]:
    saved = os.environ.get(CACHE_ENV)
    with tempfile.TemporaryDirectory(prefix="grader-bench-cache-") as tmp:
        os.environ[CACHE_ENV] = tmp
        try:
            yield
        finally:
            if saved is None:
                os.environ.pop(CACHE_ENV, None)
            else:
                os.environ[CACHE_ENV] = saved


def _figures(device: str, threads: int) -> list[Figure]:
    start = time.perf_counter()
    cal: Calibration = calibrate(device, threads, force=True)
    wall = time.perf_counter() - start
    where = f"{device}, {threads} thread{'s' if threads != 1 else ''}"
    figures = [
        Figure(f"calibration speed, {where}", round(cal.speed, 3), "x reference"),
        Figure(
            f"calibration benchmark, {where}", round(cal.duration_s, 2), "s", CALIBRATION_TARGET_S
        ),  # fmt: skip
        Figure(f"calibration with torch import, {where}", round(wall, 2), "s"),
        Figure(
            f"budget for {BUDGET_UNITS:g} units, {where}", round(cal.seconds(BUDGET_UNITS), 2), "s"
        ),  # fmt: skip
    ]
    if cal.load_average is not None:
        figures.append(Figure(f"load average while calibrating, {where}",
                              round(cal.load_average, 2), ""))  # fmt: skip
    figures += [
        Figure(f"{name} step, {where}", round(seconds * 1000, 2), "ms")
        for name, seconds in sorted(cal.kernel_seconds.items())
    ]
    return figures


def run() -> list[Figure]:
    figures: list[Figure] = []
    with _throwaway_cache():
        for threads in (1, 2):
            figures += _figures("cpu", threads)
        if cuda_device_count() > 0:
            figures += _figures("cuda", 2)
    return figures
