"""Checks on what a student's `train_one_epoch` did, shared by hw2 and hw5: the parameters
after one epoch against a reference epoch's, and the mean loss it returns."""

from __future__ import annotations

from typing import Any

import torch

from grader.checks import expect_number, expect_tensor
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


def expect_epoch_parameters(
    model: RemoteModule,
    expected: dict[str, torch.Tensor],
    start: dict[str, torch.Tensor],
    hint: str,
) -> None:
    """After one epoch from the parameters `start`, the student's parameters equal a
    reference epoch's `expected` (rtol 1e-3, atol 1e-5). The message says when nothing
    moved at all (no optimizer.step()), else gives `hint`."""
    got = model.named_parameters()
    assert set(got) == set(expected), "train_one_epoch changed the model's parameter names"
    for name, want in expected.items():
        have = expect_tensor(got[name], shape=want.shape, name=f"parameter {name}")
        if not torch.allclose(have, want, rtol=1e-3, atol=1e-5):
            moved = (have - start[name]).abs().max().item()
            reason = (
                "the parameters did not change: call optimizer.step() after loss.backward()"
                if moved == 0
                else hint
            )
            raise AssertionError(
                f"after one epoch parameter {name} differs from the reference "
                f"epoch by up to {(have - want).abs().max().item():.3g}: {reason}"
            )
