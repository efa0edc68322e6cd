"""How fast a reference's own training loop steps, against a bare loop of the same model.

The reference's `train()` runs unchanged on the course data; a global optimizer hook
times each step and stops the run after a few. At the last warm-up step the same hooks
note the model (the module whose parameters the optimizer updates) and the inputs it
was called with; the bare loop then repeats forward, backward and the same optimizer's
step on those tensors, with a stand-in loss that costs what a cross-entropy does (a
log-sum-exp over dimension 1). The difference is everything else the reference does per
step: loading and augmenting batches, any loss dearer than that, the scheduler, logging.
"""

from __future__ import annotations

import copy
import importlib
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.nn.modules import module as module_hooks
from torch.optim import optimizer as optimizer_hooks


@dataclass(frozen=True)
class StepRate:
    reference_step_s: float  # median seconds per step of the reference's train()
    bare_step_s: float  # median seconds per step of forward + backward + step alone
    threads: int  # torch threads the reference trained with

    @property
    def efficiency(self) -> float:
        """Bare step time over the reference's: 1.0 means nothing but the model costs."""
        return self.bare_step_s / self.reference_step_s


class _Enough(Exception):
    """Raised from the step hook to stop the reference's train() after the measured steps."""


def _copy(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        return value.detach().clone(memory_format=torch.preserve_format)
    if isinstance(value, (list, tuple)):
        return type(value)(_copy(v) for v in value)
    return value


class _Recorder:
    """Top-level module calls (not nested in another module's forward) since the last step."""

    def __init__(self) -> None:
        self.depth = 0
        self.calls: list[tuple[nn.Module, tuple[Any, ...]]] = []
        self._handles = [
            module_hooks.register_module_forward_pre_hook(self._pre),
            module_hooks.register_module_forward_hook(self._post),
        ]

    def _pre(self, module: nn.Module, args: tuple[Any, ...]) -> None:
        if self.depth == 0:
            self.calls.append((module, _copy(args)))
        self.depth += 1

    def _post(self, module: nn.Module, args: Any, output: Any) -> None:
        self.depth = max(0, self.depth - 1)

    def model_of(self, optimizer: torch.optim.Optimizer) -> tuple[nn.Module, tuple[Any, ...]]:
        """The last top-level call of the largest module the optimizer trains."""
        trained = {id(p) for group in optimizer.param_groups for p in group["params"]}
        best: tuple[int, nn.Module, tuple[Any, ...]] | None = None
        for module, args in self.calls:
            params = [id(p) for p in module.parameters()]
            if params and set(params) <= trained and (best is None or len(params) >= best[0]):
                best = (len(params), module, args)
        if best is None:
            raise RuntimeError("no module call with the optimizer's parameters was seen")
        return best[1], best[2]

    def remove(self) -> None:
        for handle in self._handles:
            handle.remove()


def _stand_in_loss(output: torch.Tensor) -> torch.Tensor:
    """A scalar as dear as a cross-entropy: log-sum-exp over the class dimension (1)."""
    output = output.float()
    return output.logsumexp(dim=1).mean() if output.dim() >= 2 else output.mean()


def _first_tensor(output: Any) -> torch.Tensor:
    if isinstance(output, torch.Tensor):
        return output
    if isinstance(output, (list, tuple)):
        for item in output:
            if isinstance(item, torch.Tensor):
                return item
    raise TypeError(f"the model returned a {type(output).__name__}, not a tensor")


class _Interleaved:
    """The optimizer hook: counts the reference's steps and, once warm, runs one bare step
    on a copy of the model after each, so both are timed under the same machine load."""

    def __init__(self, warmup: int, steps: int) -> None:
        self.warmup, self.steps = warmup, steps
        self.count = 0
        self.reference: list[float] = []  # seconds of each measured reference step
        self.bare: list[float] = []  # seconds of each bare step
        self.threads = 0
        self._recorder: _Recorder | None = _Recorder()
        self._copy: tuple[nn.Module, torch.optim.Optimizer, tuple[Any, ...]] | None = None
        self._resumed = 0.0  # when the reference's loop got control back
        self._in_bare = False

    def __call__(self, optimizer: torch.optim.Optimizer, *_: Any) -> None:
        if self._in_bare:
            return
        now = time.perf_counter()
        self.count += 1
        if self._copy is not None:
            self.reference.append(now - self._resumed)
            if len(self.reference) >= self.steps:
                raise _Enough
            self.bare.append(self._bare_step())
        elif self.count >= self.warmup and self._recorder is not None:
            model, args = self._recorder.model_of(optimizer)
            self.close()  # the measured steps run without the recording hooks
            # one deepcopy keeps the copied optimizer pointing at the copied parameters
            self._copy = (*copy.deepcopy((model, optimizer)), args)
            self.threads = torch.get_num_threads()
            self._bare_step()  # warm-up
        elif self._recorder is not None:
            self._recorder.calls = self._recorder.calls[-8:]  # keep memory flat
        self._resumed = time.perf_counter()

    def _bare_step(self) -> float:
        """forward, the stand-in loss, backward, the optimizer's step: seconds."""
        assert self._copy is not None
        model, optimizer, args = self._copy
        self._in_bare = True
        start = time.perf_counter()
        try:
            optimizer.zero_grad()
            _stand_in_loss(_first_tensor(model(*args))).backward()
            # the class's step: an LR scheduler patches the instance's, bound to the original
            type(optimizer).step(optimizer)
        finally:
            self._in_bare = False
        return time.perf_counter() - start

    def close(self) -> None:
        if self._recorder is not None:
            self._recorder.remove()
            self._recorder = None


def step_rate(
    solution_dir: Path, package: str, data_dir: str, threads: int, warmup: int = 2, steps: int = 5
) -> StepRate:
    """Median step time of `package`'s reference train() and of the bare loop."""
    saved_threads = torch.get_num_threads()
    sys.path.insert(0, str(solution_dir))
    hook = _Interleaved(warmup, steps)
    handle = optimizer_hooks.register_optimizer_step_post_hook(hook)
    try:
        torch.set_num_threads(threads)  # what the grader gives a worker; train() may change it
        train = importlib.import_module(f"{package}.train").train
        train(data_dir=data_dir, device="cpu", time_budget_s=600.0, seed=0)
    except _Enough:
        pass
    finally:
        handle.remove()
        hook.close()
        torch.set_num_threads(saved_threads)
        sys.path.remove(str(solution_dir))
    if len(hook.reference) < steps:
        raise RuntimeError(
            f"{package}.train returned after {hook.count} optimizer steps, "
            f"before the {warmup + steps} the bench needs"
        )
    return StepRate(statistics.median(hook.reference), statistics.median(hook.bare), hook.threads)
