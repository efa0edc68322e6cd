"""Task 2: class weights from pixel shares and the weighted cross-entropy (10 points)."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from grader.suitekit import expect_tensor, number, weight
from grader.suites.hw4.segmentation import IGNORE_INDEX, scene_labels

TOLERANCE = 1e-5


def trusted_weights(masks: torch.Tensor, n_classes: int = 5) -> torch.Tensor:
    labels = masks[masks != IGNORE_INDEX].long()
    counts = torch.bincount(labels, minlength=n_classes).double().clamp(min=1)
    weights = (counts / counts.sum()).rsqrt()
    return weights / weights.mean()


@number("2.1")
@weight(5)
def test_class_weights(student):
    """class_weights gives 1 / sqrt(pixel share) per class, scaled to mean 1"""
    masks = scene_labels((6, 24, 32), seed=500).to(torch.uint8)
    masks[:, :2] = IGNORE_INDEX  # unknown pixels are not counted
    sparse = masks.clone()
    sparse[sparse == 3] = 0  # a class with no pixel at all
    for what, sample in (("masks", masks), ("masks without class 3", sparse)):
        got = expect_tensor(
            student.losses.class_weights(sample),
            shape=(5,),
            dtype=torch.float32,
            name=f"class_weights of {what}",
        )
        want = trusted_weights(sample)
        if torch.allclose(got.double(), (1 / want) / (1 / want).mean(), rtol=TOLERANCE):
            raise AssertionError(
                "class_weights gives the common classes the largest weights: the rarer a "
                "class, the larger its weight (1 / sqrt(share))"
            )
        assert torch.allclose(got.double(), want, rtol=TOLERANCE, atol=TOLERANCE), (
            f"class_weights of {what} returned {[round(v, 3) for v in got.tolist()]}: "
            "1 / sqrt(pixel share of the class) over the labelled pixels (255 not counted, "
            "a class without pixels counted as one pixel), divided by their mean"
        )


@number("2.2")
@weight(5)
def test_weighted_loss(student):
    """segmentation_loss is the class-weighted cross-entropy over labelled pixels"""
    gen = torch.Generator().manual_seed(510)
    logits = torch.randn(3, 5, 10, 14, generator=gen) * 2
    masks = scene_labels((3, 10, 14), seed=511)
    masks[0, :3] = IGNORE_INDEX
    weights = torch.tensor([0.2, 1.1, 0.4, 1.9, 1.4])
    got = expect_tensor(
        student.losses.segmentation_loss(logits, masks, weights), shape=(), name="segmentation_loss"
    )
    want = F.cross_entropy(
        logits.double(), masks, weight=weights.double(), ignore_index=IGNORE_INDEX
    )
    plain = F.cross_entropy(logits.double(), masks, ignore_index=IGNORE_INDEX)
    assert not torch.allclose(got.double(), plain, rtol=TOLERANCE), (
        "segmentation_loss ignored the class weights: pass them to the cross-entropy"
    )
    assert torch.allclose(got.double(), want, rtol=TOLERANCE, atol=TOLERANCE), (
        f"segmentation_loss returned {got.item():.4f}: the cross-entropy of every pixel "
        "weighted by its class's weight, divided by the total weight of the labelled pixels "
        "(pixels labelled 255 left out)"
    )
    unweighted = expect_tensor(
        student.losses.segmentation_loss(logits, masks),
        shape=(),
        name="segmentation_loss without weights",
    )
    assert torch.allclose(unweighted.double(), plain, rtol=TOLERANCE, atol=TOLERANCE), (
        "segmentation_loss without weights should be the plain mean cross-entropy over the "
        "labelled pixels"
    )
