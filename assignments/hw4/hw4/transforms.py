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
        # TODO (Task 4): keep the three settings as attributes.
        raise NotImplementedError("Task 4: JointRandomFlip.__init__")

    def __call__(
        self, image: torch.Tensor, mask: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """(3, H, W), (H, W) -> the same shapes, flipped alike."""
        # TODO (Task 4): when self.horizontal, with chance self.p (torch.rand(()) < self.p),
        #   flip both over their last dimension (W): tensor.flip(-1). Then, drawing again,
        #   the same top-bottom over the dimension before it (H): flip(-2).
        raise NotImplementedError("Task 4: JointRandomFlip.__call__")
