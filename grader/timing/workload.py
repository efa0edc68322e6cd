"""The fixed calibration workload: training steps at the sizes the homeworks use.

Each kernel is one small model trained for a few SGD steps on 64x64 RGB batches, starting
from uint8 pixels on the host as a student's loop does (host -> device copy, scaling,
forward, cross-entropy, backward, update). Everything is built from a fixed seed, so every
machine times exactly the same arithmetic.

On a CPU each pass is timed in CPU time of this process (all its threads), the currency
budgets are charged in there; on a GPU in wall time with the device synchronised.

`REFERENCE_SECONDS` are the median CPU seconds of one pass on the reference machine (this
project's 2-core CI machine, 2 torch threads, OMP_WAIT_POLICY=PASSIVE as in the workers).
When the workload changes, re-measure them on a quiet machine with
`OMP_WAIT_POLICY=PASSIVE python -m grader.timing.benchmark cpu 2` (several runs, keep the
median of each kernel) and bump `WORKLOAD_VERSION` so cached calibrations are not reused.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

WORKLOAD_VERSION = 3
NUM_CLASSES = 6
IMAGE_SHAPE = (3, 64, 64)  # (C, H, W): 12288 inputs once flattened


@dataclass(frozen=True)
class Kernel:
    name: str
    batch: int
    steps: int  # SGD steps in one timed pass
    build: Callable[[], nn.Module]


def _cnn() -> nn.Module:
    # (B, 3, 64, 64) -> (B, 16, 32, 32) -> (B, 32, 16, 16) -> (B, 64, 8, 8) -> (B, 6)
    return nn.Sequential(
        nn.Conv2d(3, 16, 3, stride=2, padding=1), nn.ReLU(),
        nn.Conv2d(16, 32, 3, stride=2, padding=1), nn.ReLU(),
        nn.Conv2d(32, 64, 3, stride=2, padding=1), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, NUM_CLASSES),
    )  # fmt: skip


def _linear() -> nn.Module:
    return nn.Sequential(nn.Flatten(), nn.Linear(12288, NUM_CLASSES))


def _mlp() -> nn.Module:
    return nn.Sequential(
        nn.Flatten(), nn.Linear(12288, 256), nn.ReLU(), nn.Linear(256, NUM_CLASSES)
    )


KERNELS: tuple[Kernel, ...] = (
    Kernel("cnn", batch=64, steps=1, build=_cnn),
    Kernel("linear", batch=128, steps=1, build=_linear),
    Kernel("mlp", batch=128, steps=1, build=_mlp),
)

# Best seconds of one pass of each kernel on the reference machine (AMD EPYC, 2 cores,
# 2 threads, torch 2.14.1): the minimum over 8 runs at top CPU priority (a fresh autogroup at
# nice -20), so that other jobs on the shared machine could not inflate them.
REFERENCE_SECONDS: dict[str, float] = {
    "cnn": 0.041,
    "linear": 0.0060,
    "mlp": 0.033,
}


def _synchronize(device: torch.device) -> None:
    # Kernels on a GPU run asynchronously: the clock must wait for them.
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


class _Runner:
    """One kernel, ready to time: model, optimizer and host batch built once."""

    def __init__(self, kernel: Kernel, device: torch.device, seed: int) -> None:
        generator = torch.Generator().manual_seed(seed)
        torch.manual_seed(seed)
        self.kernel = kernel
        self.device = device
        self.model = kernel.build().to(device)
        # A hand-written SGD update: building a torch.optim optimizer costs a second of lazy
        # imports the first time, which is not the device's speed.
        self.parameters = list(self.model.parameters())
        # (B, 3, 64, 64) uint8 pixels and (B,) labels on the host, as a loader yields them
        self.pixels = torch.randint(
            0, 256, (kernel.batch, *IMAGE_SHAPE), dtype=torch.uint8, generator=generator
        )
        self.labels = torch.randint(0, NUM_CLASSES, (kernel.batch,), generator=generator)

    def step(self) -> None:
        x = self.pixels.to(self.device).float().mul_(1 / 255)
        y = self.labels.to(self.device)
        loss = nn.functional.cross_entropy(self.model(x), y)
        for p in self.parameters:
            p.grad = None
        loss.backward()
        with torch.no_grad():
            for p in self.parameters:
                if p.grad is not None:
                    p.add_(p.grad, alpha=-1e-3)

    def timed_pass(self) -> float:
        """Seconds of one pass: CPU time of this process on a CPU, wall time on a GPU."""
        clock = time.process_time if self.device.type == "cpu" else time.perf_counter
        _synchronize(self.device)
        start = clock()
        for _ in range(self.kernel.steps):
            self.step()
        _synchronize(self.device)
        return clock() - start


def run_workload(
    device: str,
    *,
    min_rounds: int = 7,
    max_rounds: int = 60,
    target_seconds: float = 1.0,
    max_seconds: float = 4.0,
    seed: int = 0,
) -> dict[str, float]:
    """Median seconds of one pass of each kernel on `device` with the current thread count.

    One untimed warm-up step per kernel (allocator, cuDNN and oneDNN set-up), then rounds
    over all kernels until `target_seconds` of wall time have passed (at least
    `min_rounds`). On a CPU the passes are timed in CPU time, which other processes cannot
    spend, and the median is the figure that stays put under load (measured beside three
    busy processes: within a few per cent of a quiet run, where the minimum moved 13 %).
    A slow or busy machine stops as soon as `max_seconds` are spent.
    """
    target = torch.device(device)
    runners = [_Runner(kernel, target, seed) for kernel in KERNELS]
    start = time.perf_counter()
    for runner in runners:
        runner.step()
    _synchronize(target)
    passes: dict[str, list[float]] = {runner.kernel.name: [] for runner in runners}
    for rounds_done in range(1, max_rounds + 1):
        for runner in runners:
            passes[runner.kernel.name].append(runner.timed_pass())
        elapsed = time.perf_counter() - start
        if rounds_done >= min_rounds and elapsed >= target_seconds:
            break
        if elapsed >= max_seconds and rounds_done >= 3:
            break
    return {name: statistics.median(times) for name, times in passes.items()}


def speed_of(kernel_seconds: dict[str, float]) -> float:
    """This device's speed relative to the reference: total reference time over total time.

    The total weights each kernel by the work it does, so a device fast at convolutions but
    slow at host copies lands in between, as a student's training loop would.
    """
    reference = sum(REFERENCE_SECONDS[name] for name in kernel_seconds)
    measured = sum(kernel_seconds.values())
    return reference / measured
