"""Task 4: JointRandomFlip flips an image and its mask together (10 points)."""

from __future__ import annotations

from typing import Any

import torch

from grader.suitekit import InvalidValue, expect_tensor, number, weight

DRAWS = 32  # calls on one sample; with p = 0.5 each of the 4 flip variants shows up

VARIANTS = {  # name -> dims flipped, on the last two dimensions (H, W)
    "unchanged": (),
    "left-right": (-1,),
    "top-bottom": (-2,),
    "both": (-2, -1),
}


def sample(seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """A float32 image (3, 12, 20) in [0, 1] and an int64 mask (12, 20), both asymmetric."""
    gen = torch.Generator().manual_seed(seed)
    image = torch.rand(3, 12, 20, generator=gen)
    mask = torch.randint(0, 5, (12, 20), generator=gen)
    return image, mask


def flipped(x: torch.Tensor, dims: tuple[int, ...]) -> torch.Tensor:
    return x.flip(dims) if dims else x


def pair_of(value: Any, what: str) -> tuple[torch.Tensor, torch.Tensor]:
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise InvalidValue(f"{what} should return an (image, mask) pair")
    image = expect_tensor(value[0], shape=(3, 12, 20), dtype=torch.float32, name=f"{what} image")
    mask = expect_tensor(value[1], shape=(12, 20), dtype=torch.int64, name=f"{what} mask")
    return image, mask


def variant_of(
    image: torch.Tensor, mask: torch.Tensor, original: tuple[torch.Tensor, ...], what: str
) -> str:
    """Which flip the returned image is, after checking that the mask had the same one."""
    for name, dims in VARIANTS.items():
        if torch.equal(image, flipped(original[0], dims)):
            assert torch.equal(mask, flipped(original[1], dims)), (
                f"{what} flipped the image ({name}) but the mask does not match it: apply "
                "the same flip to the mask, or its labels describe the wrong pixels"
            )
            return name
    raise AssertionError(
        f"{what} returned an image that is no flip of the input: only flip, over the last "
        "dimension (W, left-right) and the one before it (H, top-bottom)"
    )


@number("4.1")
@weight(5)
def test_flips_image_and_mask_together(student):
    """JointRandomFlip() flips the mask exactly as it flips the image"""
    flip = student.transforms.JointRandomFlip()
    for k in range(2):
        original = sample(seed=70 + k)
        for _ in range(DRAWS // 2):
            image, mask = pair_of(flip(*original), "JointRandomFlip()")
            variant_of(image, mask, original, "JointRandomFlip()")


@number("4.2")
@weight(3)
def test_flips_are_random(student):
    """JointRandomFlip() draws left-right and top-bottom flips at random, each call anew"""
    flip = student.transforms.JointRandomFlip()
    original = sample(seed=80)
    seen = set()
    for _ in range(DRAWS):
        image, mask = pair_of(flip(*original), "JointRandomFlip()")
        seen.add(variant_of(image, mask, original, "JointRandomFlip()"))
    missing = [name for name in VARIANTS if name not in seen]
    assert not missing, (
        f"in {DRAWS} calls JointRandomFlip() never returned the sample {missing[0]}: flip "
        "left-right and top-bottom independently, each with chance p = 0.5, on every call"
    )


@number("4.3")
@weight(2)
def test_flip_settings(student):
    """JointRandomFlip honours p and the horizontal / vertical switches"""
    original = sample(seed=90)
    cases = (
        ({"p": 1.0, "vertical": False}, "left-right"),
        ({"p": 1.0, "horizontal": False}, "top-bottom"),
        ({"p": 1.0}, "both"),
        ({"p": 0.0}, "unchanged"),
    )
    for kwargs, want in cases:
        what = "JointRandomFlip(" + ", ".join(f"{k}={v}" for k, v in kwargs.items()) + ")"
        flip = student.transforms.JointRandomFlip(**kwargs)
        for _ in range(3):
            got = variant_of(*pair_of(flip(*original), what), original, what)
            assert got == want, f"{what} returned the sample {got}, expected {want}"
