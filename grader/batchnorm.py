"""Parent-side helpers for hidden suites: BatchNorm layers found in a state_dict.

Everything here works on plain tensors that came back from the worker (a state_dict or
named buffers), so the student's names for their layers do not matter: a BatchNorm2d is
recognised by its `running_mean`, `running_var`, `weight` and `bias` entries. Used by the
suites of homework 3 (ConvNet) and 4 (FCN); it lives outside grader/suites/ because each
autograder ships one homework's suite only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

from grader.checks import expect_tensor
from grader.errors import InvalidValue

BN_EPS = 1e-5  # nn.BatchNorm2d's default, which the handout asks for


@dataclass(frozen=True)
class BatchNormEntry:
    prefix: str  # "net.4" for the keys "net.4.weight", "net.4.running_mean", ...
    channels: int

    def key(self, name: str) -> str:
        return f"{self.prefix}.{name}" if self.prefix else name


def batch_norms(state: dict[str, torch.Tensor]) -> list[BatchNormEntry]:
    """Affine BatchNorm layers with running statistics, in state_dict order."""
    found = []
    for key, value in state.items():
        if not key.endswith("running_mean"):
            continue
        prefix = key[: -len("running_mean")].rstrip(".")
        entry = BatchNormEntry(prefix, int(value.numel()))
        if all(entry.key(n) in state for n in ("running_var", "weight", "bias")):
            found.append(entry)
    return found


def randomised(state: dict[str, torch.Tensor], seed: int) -> dict[str, torch.Tensor]:
    """A copy of `state` with every BatchNorm's statistics and affine parameters random,
    so that eval-mode BatchNorm is far from the identity (means in [-0.5, 0.5], variances
    and scales in [0.5, 2], shifts in [-0.5, 0.5])."""
    gen = torch.Generator().manual_seed(seed)
    out = {k: v.clone() for k, v in state.items()}
    for bn in batch_norms(state):
        c = bn.channels
        out[bn.key("running_mean")] = torch.rand(c, generator=gen) - 0.5
        out[bn.key("running_var")] = torch.rand(c, generator=gen) * 1.5 + 0.5
        out[bn.key("weight")] = torch.rand(c, generator=gen) * 1.5 + 0.5
        out[bn.key("bias")] = torch.rand(c, generator=gen) - 0.5
    return out


def zeroed(state: dict[str, torch.Tensor], bn: BatchNormEntry) -> dict[str, torch.Tensor]:
    """A copy of `state` whose BatchNorm `bn` outputs zeros (weight and bias set to 0)."""
    out = dict(state)
    out[bn.key("weight")] = torch.zeros_like(state[bn.key("weight")])
    out[bn.key("bias")] = torch.zeros_like(state[bn.key("bias")])
    return out


def constant(
    state: dict[str, torch.Tensor], bn: BatchNormEntry, value: torch.Tensor
) -> dict[str, torch.Tensor]:
    """A copy of `state` whose BatchNorm `bn` outputs `value[c]` on channel c everywhere
    (weight 0, bias `value`): with a negative value, a ReLU after it is visible."""
    out = dict(state)
    out[bn.key("weight")] = torch.zeros_like(state[bn.key("weight")])
    out[bn.key("bias")] = value.to(state[bn.key("bias")].dtype).clone()
    return out


def batch_norm_eval(
    x: torch.Tensor, state: dict[str, torch.Tensor], bn: BatchNormEntry
) -> torch.Tensor:
    """What BatchNorm2d `bn` computes in eval mode on x (B, C, H, W), in float64."""
    shape = (1, bn.channels, 1, 1)

    def param(name: str) -> torch.Tensor:
        return state[bn.key(name)].double().reshape(shape)

    scale = param("weight") / torch.sqrt(param("running_var") + BN_EPS)
    return (x.double() - param("running_mean")) * scale + param("bias")


def state_dict_of(model, name: str) -> dict[str, torch.Tensor]:
    """The model's state_dict, every value checked to be a finite tensor; an error if it
    has no BatchNorm2d."""
    state = model.state_dict()
    for key, value in state.items():
        expect_tensor(value, name=f"{name} state_dict entry {key!r}")
    if not batch_norms(state):
        raise InvalidValue(
            f"{name} has no BatchNorm2d with running statistics and a weight and bias; "
            "use nn.BatchNorm2d(channels) with its defaults"
        )
    return state


def running_stats(model, name: str) -> dict[str, torch.Tensor]:
    """The BatchNorm running means and variances, checked; an error if there are none."""
    stats = {
        k: expect_tensor(v, name=f"buffer {k!r}")
        for k, v in model.named_buffers().items()
        if k.endswith("running_mean") or k.endswith("running_var")
    }
    if not stats:
        raise InvalidValue(
            f"{name} has no BatchNorm running statistics (running_mean / running_var): "
            "use nn.BatchNorm2d(channels) with its defaults (track_running_stats=True)"
        )
    return stats


def expect_eval_mode_independence(
    model: Any,
    name: str,
    forward: Callable[[Any, torch.Tensor], torch.Tensor],
    warm_up: torch.Tensor,
    probe: torch.Tensor,
    *,
    why: str,
    tolerance: float = 1e-4,
) -> None:
    """BatchNorm in eval mode: after a train-mode forward on `warm_up` (which moves the
    running statistics off 0 / 1), an eval-mode forward on `probe` leaves the statistics
    alone, gives the same outputs twice, and scores each item as it would alone. `forward`
    runs the model and checks its output; `why` ends the batch-dependence message."""
    model.train()
    forward(model, warm_up)
    model.eval()
    before = running_stats(model, name)
    together = forward(model, probe)
    after = running_stats(model, name)
    assert all(torch.equal(before[k], after[k]) for k in before), (
        "a forward pass in eval mode changed the BatchNorm running statistics"
    )
    assert torch.equal(together, forward(model, probe)), (
        f"in eval mode the {name} gave two different outputs for the same images"
    )
    alone = torch.cat([forward(model, probe[i : i + 1]) for i in range(len(probe))])
    gap = (together - alone).abs().max().item()
    assert torch.allclose(together, alone, atol=tolerance, rtol=tolerance), (
        f"in eval mode, scoring images one at a time changes their logits by up to {gap:.3g}: "
        + why
    )
