"""Task 4: augmentation for segmentation, applied to the image and its mask together.

A sample is a pair (image, mask): image float32 (3, H, W) in [0, 1], mask int64 (H, W)
with a class per pixel. Any geometric change of the image must be made to the mask too,
or the labels stop matching the pixels they describe.
"""

from __future__ import annotations

import torch


class JointRandomFlip:
    """Flips image and mask left-right with chance p, and (independently) top-bottom with
    chance p; a new random draw on every call (from torch's global generator)."""

    def __init__(self, p: float = 0.5, horizontal: bool = True, vertical: bool = True) -> None:
        self.p = p
        self.horizontal = horizontal
        self.vertical = vertical

    def __call__(
        self, image: torch.Tensor, mask: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """(3, H, W), (H, W) -> the same shapes, flipped alike."""
        # The last dimension is W for both the image and the mask, the one before it H.
        if self.horizontal and torch.rand(()) < self.p:
            image, mask = image.flip(-1), mask.flip(-1)
        if self.vertical and torch.rand(()) < self.p:
            image, mask = image.flip(-2), mask.flip(-2)
        return image, mask
