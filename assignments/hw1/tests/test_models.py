"""Task 2: LinearClassifier."""

from __future__ import annotations

import torch

from hw1.models import LinearClassifier


def test_output_shape() -> None:
    model = LinearClassifier()
    for batch in (1, 5):
        logits = model(torch.rand(batch, 3, 64, 64))
        assert logits.shape == (batch, 6)
        assert logits.dtype == torch.float32


def test_parameter_count() -> None:
    count = sum(p.numel() for p in LinearClassifier().parameters())
    assert count == 3 * 64 * 64 * 6 + 6, "one weight per (pixel value, class), one bias per class"


def test_is_affine() -> None:
    """f(a x1 + b x2) == a f(x1) + b f(x2) + (1 - a - b) f(0) holds for an affine map."""
    torch.manual_seed(0)
    model = LinearClassifier()
    x1, x2, zero = torch.rand(2, 3, 64, 64), torch.rand(2, 3, 64, 64), torch.zeros(2, 3, 64, 64)
    a, b = 0.7, -1.3
    with torch.no_grad():
        left = model(a * x1 + b * x2)
        right = a * model(x1) + b * model(x2) + (1 - a - b) * model(zero)
    torch.testing.assert_close(left, right, atol=1e-4, rtol=1e-4)
