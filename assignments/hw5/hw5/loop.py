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

from .loss import next_char_loss  # noqa: F401 (for your train_one_epoch)


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
    # TODO (Task 3): model.train(); then for each batch, in order: move it to `device`,
    #   optimizer.zero_grad(), loss = next_char_loss(model(tokens), tokens),
    #   loss.backward(), then (unless clip_norm is None)
    #   nn.utils.clip_grad_norm_(model.parameters(), clip_norm), then optimizer.step();
    #   call on_step(loss.item()) when it is given. Return the mean of the batch losses.
    raise NotImplementedError("Task 3: train_one_epoch")
