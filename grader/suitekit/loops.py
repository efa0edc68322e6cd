"""Checks on what a student's `train_one_epoch` hands back, shared by hw2 and hw5."""

from __future__ import annotations

from typing import Any

from grader.checks import expect_number
from grader.engine import RemoteModule


def expect_epoch_mean_loss(model: RemoteModule, mean_loss: Any, expected: float) -> None:
    """`train_one_epoch` returned the mean of its per-batch losses as a float (each loss
    measured before its optimizer step: `expected`) and left the model in train() mode."""
    value = expect_number(mean_loss, name="train_one_epoch's return value")
    assert abs(value - expected) <= 1e-4 * max(1.0, abs(expected)), (
        f"train_one_epoch returned {value:.5g}, expected the mean of the per-batch losses, "
        "each measured before its optimizer step (a Python float, e.g. via loss.item())"
    )
    assert model.training, (
        "after train_one_epoch the model is in eval() mode: call model.train() at its start"
    )
