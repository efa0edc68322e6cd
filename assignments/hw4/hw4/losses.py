"""Task 2: class weights against the imbalance, and the weighted cross-entropy.

Three quarters of the pixels are background: a network that ignores karts, bombs and
pickups still gets most pixels right, so the loss must make the rare classes count.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F  # noqa: F401  (for Task 2)

IGNORE_INDEX = 255  # label of pixels with no known class; they add nothing to the loss


def class_weights(masks: torch.Tensor, n_classes: int = 5) -> torch.Tensor:
    """One weight per class from the training masks: 1 / sqrt(pixel share), mean 1.

    masks: integer class indices of any shape, e.g. (N, H, W); IGNORE_INDEX pixels are not
    counted. Returns float32 (n_classes,). A class with no pixel counts as having one, so
    its weight stays finite.
    """
    # TODO (Task 2): the labelled pixels (masks != IGNORE_INDEX), their count per class
    #   (torch.bincount with minlength=n_classes, in float64, at least 1 each), the share of
    #   each class, 1 / sqrt(share), divided by the mean of the weights; float32.
    raise NotImplementedError("Task 2: class_weights")


def segmentation_loss(
    logits: torch.Tensor, masks: torch.Tensor, weights: torch.Tensor | None = None
) -> torch.Tensor:
    """Weighted cross-entropy over every labelled pixel: logits (B, K, H, W), masks (B, H, W).

    With weights, a pixel of class k counts weights[k] times, and the mean divides by the
    sum of the weights of the labelled pixels. Returns a scalar.
    """
    # TODO (Task 2): F.cross_entropy takes (B, K, H, W) logits and (B, H, W) class indices
    #   directly; pass the weights and ignore_index=IGNORE_INDEX.
    raise NotImplementedError("Task 2: segmentation_loss")
