"""Task 2: class weights against the imbalance, and the weighted cross-entropy.

Three quarters of the pixels are background: a network that ignores karts, bombs and
pickups still gets most pixels right, so the loss must make the rare classes count.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

IGNORE_INDEX = 255  # label of pixels with no known class; they add nothing to the loss


def class_weights(masks: torch.Tensor, n_classes: int = 5) -> torch.Tensor:
    """One weight per class from the training masks: 1 / sqrt(pixel share), mean 1.

    masks: integer class indices of any shape, e.g. (N, H, W); IGNORE_INDEX pixels are not
    counted. Returns float32 (n_classes,). A class with no pixel counts as having one, so
    its weight stays finite.
    """
    labels = masks[masks != IGNORE_INDEX].long().flatten()
    counts = torch.bincount(labels, minlength=n_classes)[:n_classes].double()  # (K,)
    share = counts.clamp(min=1) / counts.clamp(min=1).sum()
    weights = share.rsqrt()  # rarer -> larger; the square root keeps the rarest from dominating
    return (weights / weights.mean()).float()


def segmentation_loss(
    logits: torch.Tensor, masks: torch.Tensor, weights: torch.Tensor | None = None
) -> torch.Tensor:
    """Weighted cross-entropy over every labelled pixel: logits (B, K, H, W), masks (B, H, W).

    With weights, a pixel of class k counts weights[k] times, and the mean divides by the
    sum of the weights of the labelled pixels. Returns a scalar.
    """
    return F.cross_entropy(logits, masks.long(), weight=weights, ignore_index=IGNORE_INDEX)
