"""Task 4: JointRandomFlip keeps the image and its mask aligned."""

from __future__ import annotations

import torch

from hw4.transforms import JointRandomFlip


def _sample() -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(0)
    return torch.rand(3, 6, 8, generator=gen), torch.randint(0, 5, (6, 8), generator=gen)


def test_always_flips_with_p_1() -> None:
    image, mask = _sample()
    flipped_image, flipped_mask = JointRandomFlip(p=1.0, vertical=False)(image, mask)
    assert torch.equal(flipped_image, image.flip(-1))
    assert torch.equal(flipped_mask, mask.flip(-1)), "the mask must be flipped with the image"


def test_image_and_mask_stay_aligned() -> None:
    image, mask = _sample()
    flip = JointRandomFlip()
    seen = set()
    for _ in range(32):
        out_image, out_mask = flip(image, mask)
        for dims in ((), (-1,), (-2,), (-2, -1)):
            if torch.equal(out_image, image.flip(dims) if dims else image):
                assert torch.equal(out_mask, mask.flip(dims) if dims else mask)
                seen.add(dims)
    assert len(seen) == 4, "left-right and top-bottom flips, each at random"
