"""Task 2: LinearClassifier, one affine map from (B, 3, 64, 64) images to (B, 6) logits
(20 points)."""

from __future__ import annotations

import torch

from grader.suitekit import expect_int, expect_tensor, number, weight

EXPECTED_PARAMETERS = 3 * 64 * 64 * 6 + 6  # one weight per (input value, class), one bias per class


def images(batch: int, seed: int) -> torch.Tensor:
    """(B, 3, 64, 64) float32 in [0, 1], like the course images."""
    return torch.rand(batch, 3, 64, 64, generator=torch.Generator().manual_seed(seed))


def logits_of(model, x: torch.Tensor) -> torch.Tensor:
    return expect_tensor(
        model(x), shape=(x.shape[0], 6), dtype=torch.float32, name="LinearClassifier output"
    )


@number("2.1")
@weight(5)
def test_output_shape(student):
    """LinearClassifier returns float32 (B, 6) logits for several batch sizes"""
    model = student.models.LinearClassifier()
    for k, batch in enumerate((1, 7, 32)):
        logits_of(model, images(batch, seed=10 + k))


@number("2.2")
@weight(5)
def test_parameter_count(student):
    """LinearClassifier has exactly 3*64*64*6 + 6 parameters"""
    model = student.models.LinearClassifier()
    count = expect_int(model.parameter_count(), name="parameter count")
    assert count == EXPECTED_PARAMETERS, (
        f"LinearClassifier has {count} parameters, expected {EXPECTED_PARAMETERS}: one weight "
        "per (input value, class) and one bias per class, and nothing else"
    )


@number("2.3")
@weight(6)
def test_is_affine(student):
    """LinearClassifier is affine: f(a x1 + b x2) = a f(x1) + b f(x2) + (1 - a - b) f(0)"""
    model = student.models.LinearClassifier()
    gen = torch.Generator().manual_seed(23)
    for trial in range(3):
        a, b = (torch.rand(2, generator=gen) * 4 - 2).tolist()  # coefficients in [-2, 2)
        x1, x2 = images(4, seed=100 + trial), images(4, seed=200 + trial)
        zero = torch.zeros(4, 3, 64, 64)
        left = logits_of(model, a * x1 + b * x2)
        right = (
            a * logits_of(model, x1)
            + b * logits_of(model, x2)
            + (1 - a - b) * logits_of(model, zero)
        )
        gap = (left - right).abs().max().item()
        assert torch.allclose(left, right, rtol=1e-3, atol=1e-3), (
            f"f(a x1 + b x2) differs from a f(x1) + b f(x2) + (1 - a - b) f(0) by up to {gap:.3g}: "
            "the model should be one affine map (no activation, no normalisation)"
        )


@number("2.4")
@weight(4)
def test_images_scored_independently(student):
    """Each image's logits do not depend on the other images in the batch"""
    model = student.models.LinearClassifier()
    batch = images(5, seed=31)
    together = logits_of(model, batch)
    alone = torch.cat([logits_of(model, batch[i : i + 1]) for i in range(5)])
    gap = (together - alone).abs().max().item()
    assert torch.allclose(together, alone, rtol=1e-4, atol=1e-4), (
        f"scoring images one at a time changes their logits by up to {gap:.3g}: flatten each "
        "image separately (keep the batch dimension)"
    )
