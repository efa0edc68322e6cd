"""Task 3: input statistics and the data pipelines for training and evaluation.

A sample is a pair (image, label): image a uint8 tensor (3, H, W) with values 0..255,
label an int. torchvision's v2 transforms take the whole pair, change the image and pass
the label through untouched.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torchvision.transforms import v2

Sample = tuple[torch.Tensor, int]


def channel_stats(images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-channel mean and standard deviation of a batch of float images.

    (N, C, H, W) -> mean (C,), std (C,): each channel's statistics over every pixel of
    every image, the population std (divide by N * H * W, not N * H * W - 1).
    """
    x = images.to(torch.float64)  # sums of ~10^8 values lose digits in float32
    mean = x.mean(dim=(0, 2, 3))
    std = x.std(dim=(0, 2, 3), correction=0)
    return mean.to(images.dtype), std.to(images.dtype)


def train_transform() -> Callable[..., Any]:
    """Random, label-preserving augmentation, then uint8 -> float32 in [0, 1].

    Objects face left or right, tilted a little either way, so a mirror image (left-right
    or top-bottom) shows the same class. Flips are also the cheapest augmentation: they run
    for every image of every epoch, on the CPU that trains the model.
    """
    return v2.Compose(
        [
            v2.RandomHorizontalFlip(p=0.5),
            v2.RandomVerticalFlip(p=0.5),
            v2.ToDtype(torch.float32, scale=True),
        ]
    )


def valid_transform() -> Callable[..., Any]:
    """Deterministic: uint8 -> float32 in [0, 1], exactly what the grader feeds the model."""
    return v2.Compose([v2.ToDtype(torch.float32, scale=True)])
