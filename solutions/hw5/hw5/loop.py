"""Task 3: one epoch of training with gradient-norm clipping.

One step on a batch of rows (B, L):

    optimizer.zero_grad()
    loss = next_char_loss(model(tokens), tokens)   # teacher forcing, mean nats per char
    loss.backward()
    clip_grad_norm_(model.parameters(), clip_norm) # rescale if ||g|| > clip_norm
    optimizer.step()

Backpropagation through time multiplies by the recurrent weights once per time step, so
a gradient can grow by orders of magnitude in a single unlucky batch. Clipping rescales
the whole gradient (all parameters together) to norm `clip_norm` when it is larger and
leaves it alone otherwise: the direction is kept, only the step length is capped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import torch
from torch import nn

from .loss import next_char_loss


def make_optimizer(
    model: nn.Module,
    *,
    name: str = "adam",
    lr: float = 3e-3,
    momentum: float = 0.9,
    weight_decay: float = 0.0,
) -> torch.optim.Optimizer:
    """Given (keep it as it is: the grader builds the optimizer for its loop test with it).

    name "adam": Adam (momentum is ignored); name "sgd": SGD with momentum `momentum`.
    """
    if name == "adam":
        return torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    if name == "sgd":
        return torch.optim.SGD(
            model.parameters(), lr=lr, momentum=momentum, weight_decay=weight_decay
        )
    raise ValueError(f"unknown optimizer {name!r}; use 'adam' or 'sgd'")


def train_one_epoch(
    model: nn.Module,
    loader: Iterable[torch.Tensor],
    optimizer: torch.optim.Optimizer,
    *,
    clip_norm: float | None = 1.0,
    device: str = "cpu",
    on_step: Callable[[float], None] | None = None,
) -> float:
    """Train `model` for one pass over `loader`: one optimizer step per batch.

    Args:
        model: switched to train mode first (dropout on).
        loader: yields int64 (B, L) batches of rows, e.g. a DataLoader or a list.
        optimizer: built over model.parameters(), e.g. by make_optimizer.
        clip_norm: the largest gradient norm (over all parameters together) a step may
            use; larger gradients are rescaled to it. None: no clipping.
        device: where the batches are moved before the forward pass.
        on_step: called after every step with that batch's loss (a float), for logging.

    Returns:
        The mean of the per-batch losses, as a float (each loss taken before its step).
    """
    model.train()
    batch_losses: list[float] = []
    for tokens in loader:
        tokens = tokens.to(device)  # (B, L)
        optimizer.zero_grad()
        loss = next_char_loss(model(tokens), tokens)
        loss.backward()
        if clip_norm is not None:
            nn.utils.clip_grad_norm_(model.parameters(), clip_norm)
        optimizer.step()
        batch_losses.append(loss.item())
        if on_step is not None:
            on_step(batch_losses[-1])
    if not batch_losses:
        raise ValueError("train_one_epoch got an empty loader: no batch to train on")
    return sum(batch_losses) / len(batch_losses)
