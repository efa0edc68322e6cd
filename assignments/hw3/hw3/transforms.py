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
    # TODO (Task 3): reduce over dimensions 0, 2 and 3. Compute in float64 (sums of many
    #   values lose digits in float32) and return tensors in the dtype of `images`.
    raise NotImplementedError("Task 3: channel_stats")


def train_transform() -> Callable[..., Any]:
    """Random, label-preserving augmentation, then uint8 -> float32 in [0, 1].

    Called as transform(image, label) -> (image, label), with a new random draw each call.
    """
    # TODO (Task 3): a v2.Compose of random augmentations that keep the label true (see
    #   README: "Data augmentation"), ending with v2.ToDtype(torch.float32, scale=True).
    #   The output image keeps its shape (3, H, W).
    raise NotImplementedError("Task 3: train_transform")


def valid_transform() -> Callable[..., Any]:
    """Deterministic: uint8 -> float32 in [0, 1], exactly what the grader feeds the model."""
    # TODO (Task 3): no randomness at all; only the conversion to float32 in [0, 1].
    raise NotImplementedError("Task 3: valid_transform")
