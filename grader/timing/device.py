"""Which device grading trains on: the `--device` flag, then `$GRADER_DEVICE`, then the
fastest one present (CUDA, then Apple MPS, then the CPU).

Nothing here initialises CUDA: the availability check goes through NVML
(`torch.cuda.device_count`), so a parent that forks workers later is not fork-poisoned.
"""

from __future__ import annotations

import os
import re

from grader.errors import GraderError

ENV_VAR = "GRADER_DEVICE"
_DEVICE_PATTERN = re.compile(r"^(cpu|mps|cuda(:\d+)?)$")


def choose_device(override: str | None = None) -> str:
    """The device to grade on: `override` (the `--device` flag), then `$GRADER_DEVICE`,
    then cuda, mps, cpu, whichever is present first.

    An explicit choice that this machine cannot honour is a `GraderError`, never a silent
    fallback: a grade computed on another device than the one asked for would mislead.
    """
    for value, source in ((override, "--device"), (os.environ.get(ENV_VAR), f"${ENV_VAR}")):
        if value is not None and value.strip():
            return _validated(value.strip().lower(), source)
    if cuda_device_count() > 0:
        return "cuda"
    if mps_available():
        return "mps"
    return "cpu"


def device_type(device: str) -> str:
    """ "cuda:1" -> "cuda"."""
    return device.split(":", 1)[0]


def _validated(device: str, source: str) -> str:
    if not _DEVICE_PATTERN.match(device):
        raise GraderError(
            f"unknown device {device!r} (from {source}); use cpu, cuda, cuda:N or mps"
        )
    kind = device_type(device)
    if kind == "cuda":
        count = cuda_device_count()
        index = int(device.split(":", 1)[1]) if ":" in device else 0
        if count == 0:
            raise GraderError(
                f"device {device!r} (from {source}) is not available: no CUDA GPU is visible "
                "here; use --device cpu"
            )
        if index >= count:
            raise GraderError(
                f"device {device!r} (from {source}) is not available: only {count} CUDA "
                f"GPU(s) are visible (cuda:0 to cuda:{count - 1})"
            )
    if kind == "mps" and not mps_available():
        raise GraderError(
            f"device 'mps' (from {source}) is not available: this is not an Apple-silicon Mac "
            "with MPS support; use --device cpu"
        )
    return device


def cuda_device_count() -> int:
    """Visible CUDA GPUs, counted through NVML so the CUDA driver stays uninitialised."""
    import torch

    try:
        return int(torch.cuda.device_count())
    except Exception:  # noqa: BLE001 - a broken driver means "no GPU", not a crash
        return 0


def mps_available() -> bool:
    import torch

    backend = getattr(torch.backends, "mps", None)
    try:
        return bool(backend is not None and backend.is_available())
    except Exception:  # noqa: BLE001
        return False


MAX_DEFAULT_THREADS = 4


def default_threads() -> int:
    """Torch threads when none are asked for: the cores this process may use, at most 4."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_DEFAULT_THREADS))
