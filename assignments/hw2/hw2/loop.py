"""Task 3: one epoch of mini-batch training, and evaluation.

One optimisation step on a mini-batch (x, y):

    optimizer.zero_grad()          # .grad accumulates across backward() calls: clear it
    loss = loss_fn(model(x), y)    # mean loss over the batch
    loss.backward()                # d loss / d parameter, for every parameter
    optimizer.step()               # SGD with momentum:  v <- mu * v + g;  w <- w - lr * v

Evaluation switches the model to eval mode (dropout off) and runs under torch.no_grad(),
so no graph is recorded: nothing will call backward(), and the graph would only cost memory.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import torch
from torch import nn
from torch.nn import functional as F

Batch = tuple[torch.Tensor, torch.Tensor]  # images (B, 3, 64, 64) float, labels (B,) int64
LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def make_optimizer(
    model: nn.Module, *, name: str = "sgd", lr: float = 0.05, momentum: float = 0.9,
    weight_decay: float = 0.0,
) -> torch.optim.Optimizer:
    """Given (keep it as it is: the grader builds the optimizer for its loop test with it).

    name "sgd": SGD with momentum `momentum`; name "adam": Adam (momentum is ignored).
    """
    if name == "sgd":
        return torch.optim.SGD(
            model.parameters(), lr=lr, momentum=momentum, weight_decay=weight_decay
        )
    if name == "adam":
        return torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    raise ValueError(f"unknown optimizer {name!r}; use 'sgd' or 'adam'")


def train_one_epoch(
    model: nn.Module,
    loader: Iterable[Batch],
    optimizer: torch.optim.Optimizer,
    loss_fn: LossFn = F.cross_entropy,
    *,
    device: str = "cpu",
    on_step: Callable[[float], None] | None = None,
) -> float:
    """Train `model` for one pass over `loader`: one optimizer step per batch.

    Args:
        model: switched to train mode first (dropout on).
        loader: yields (images, labels) batches, e.g. a DataLoader or a list of tuples.
        optimizer: built over model.parameters(), e.g. by make_optimizer.
        loss_fn: maps (logits (B, 6), labels (B,)) to the batch's mean loss.
        device: where the batches are moved before the forward pass.
        on_step: called after every step with that batch's loss (a float), for logging.

    Returns:
        The mean of the per-batch losses, as a float (each loss taken before its step).
    """
    # TODO (Task 3): model.train(); then for each (images, labels) batch, in order: move
    #   them to `device`, optimizer.zero_grad(), loss = loss_fn(model(images), labels),
    #   loss.backward(), optimizer.step(); call on_step(loss.item()) when it is given.
    #   Return the mean of the batch losses.
    raise NotImplementedError("Task 3: train_one_epoch")


def evaluate(model: nn.Module, loader: Iterable[Batch], *, device: str = "cpu") -> float:
    """Accuracy of `model` on `loader`: the fraction of examples whose top logit is the label.

    Switches the model to eval mode (and leaves it there) and records no graph.
    """
    # TODO (Task 3): model.eval(); under torch.no_grad() count the examples whose argmax
    #   logit equals the label, over every batch; return correct / total as a float.
    raise NotImplementedError("Task 3: evaluate")
