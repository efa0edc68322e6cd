"""Task 3: ClassificationLoss, checked against PyTorch's own cross-entropy."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from hw1.losses import ClassificationLoss


def test_matches_cross_entropy() -> None:
    torch.manual_seed(0)
    logits = torch.randn(8, 6, dtype=torch.float64)  # (B, C)
    target = torch.randint(0, 6, (8,))  # (B,)
    loss = ClassificationLoss()(logits, target)
    assert loss.shape == (), "return one number: the mean over the batch"
    torch.testing.assert_close(loss, F.cross_entropy(logits, target), rtol=1e-9, atol=1e-12)


def test_gradient_matches() -> None:
    torch.manual_seed(1)
    logits = torch.randn(4, 6, dtype=torch.float64, requires_grad=True)
    target = torch.randint(0, 6, (4,))
    (mine,) = torch.autograd.grad(ClassificationLoss()(logits, target), logits)
    (reference,) = torch.autograd.grad(F.cross_entropy(logits, target), logits)
    torch.testing.assert_close(mine, reference, rtol=1e-9, atol=1e-12)


def test_large_logits_stay_finite() -> None:
    """exp(800) overflows: the log-sum-exp trick is what keeps this finite."""
    logits = torch.tensor([[800.0, 0.0, -800.0, 1.0, 2.0, 3.0]])  # (1, 6)
    target = torch.tensor([1])
    loss = ClassificationLoss()(logits, target)
    assert torch.isfinite(loss), f"loss is {loss.item()}: subtract the row maximum before exp()"
    torch.testing.assert_close(loss, F.cross_entropy(logits, target))
