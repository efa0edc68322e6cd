"""Task 2: class weights and the weighted cross-entropy."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from hw4.losses import class_weights, segmentation_loss


def test_rare_classes_weigh_more() -> None:
    masks = torch.tensor([[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0], [1, 1, 1, 2]])
    weights = class_weights(masks, n_classes=3)
    assert weights.shape == (3,) and weights.dtype == torch.float32
    assert weights[0] < weights[1] < weights[2]
    # 1 / sqrt(share): shares 12/16, 3/16, 1/16, then divided by their mean
    raw = torch.tensor([12 / 16, 3 / 16, 1 / 16]).rsqrt()
    torch.testing.assert_close(weights, raw / raw.mean())


def test_unknown_pixels_are_not_counted() -> None:
    masks = torch.tensor([[0, 1, 255, 255]])
    torch.testing.assert_close(class_weights(masks, n_classes=2), torch.ones(2))


def test_weighted_loss() -> None:
    gen = torch.Generator().manual_seed(0)
    logits = torch.randn(2, 3, 4, 5, generator=gen)
    masks = torch.randint(0, 3, (2, 4, 5), generator=gen)
    weights = torch.tensor([0.5, 1.0, 2.0])
    loss = segmentation_loss(logits, masks, weights)
    assert loss.shape == ()
    torch.testing.assert_close(loss, F.cross_entropy(logits, masks, weight=weights))
