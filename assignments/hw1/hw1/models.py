"""Task 2: a linear classifier, the simplest model that maps an image to class scores.

An image is a (3, 64, 64) tensor. Flattened, it is a vector of 3 * 64 * 64 = 12288
numbers, and a linear classifier scores each of the 6 classes with one affine map:

    logits = W @ flatten(x) + b        W: (6, 12288), b: (6,)

The logits are unnormalised scores: the larger one wins. Softmax (Task 3) turns them
into probabilities.
"""

from __future__ import annotations

import torch
from torch import nn

NUM_CLASSES = 6
IMAGE_SHAPE = (3, 64, 64)  # (C, H, W)


class LinearClassifier(nn.Module):
    """One affine map from (B, 3, 64, 64) images to (B, 6) logits."""

    def __init__(self, num_classes: int = NUM_CLASSES) -> None:
        """Create the parameters: a weight matrix and a bias vector (use nn.Linear)."""
        super().__init__()
        # TODO (Task 2): one nn.Linear from the flattened image (3 * 64 * 64 numbers) to
        #   num_classes scores.
        raise NotImplementedError("Task 2: LinearClassifier.__init__")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Score a batch of images.

        Args:
            x: (B, 3, 64, 64) float images with values in [0, 1].

        Returns:
            (B, num_classes) logits, one row per image.
        """
        # TODO (Task 2): flatten every image but keep the batch dimension,
        #   (B, 3, 64, 64) -> (B, 12288), then apply the linear layer -> (B, num_classes).
        raise NotImplementedError("Task 2: LinearClassifier.forward")
