"""Task 3: channel_stats and the train / valid pipelines on (image, label) samples (15 points)."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from grader.suitekit import InvalidValue, expect_tensor, number, weight

# Importing torchvision in a fresh worker takes seconds on a loaded 2-core machine.
IMPORT_TIMEOUT_S = 40
DRAWS = 8  # calls of the train pipeline on one image; a random pipeline varies among them


def course_image(seed: int) -> torch.Tensor:
    """uint8 (3, 64, 64) with structure (a bright square off-centre on noise), so that
    flips and shifts change it."""
    gen = torch.Generator().manual_seed(seed)
    image = torch.randint(0, 256, (3, 64, 64), dtype=torch.uint8, generator=gen)
    image[:, 10:26, 5:30] = 250
    return image


def sample_of(value: Any, label: int, what: str) -> torch.Tensor:
    """The image of a returned (image, label) pair, after checking both."""
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise InvalidValue(
            f"{what} should return an (image, label) pair, got {type(value).__name__}"
        )
    image, got_label = value
    if type(got_label) is not int or got_label != label:
        raise InvalidValue(
            f"{what} changed the label {label} into {got_label!r}: leave labels as they are"
        )
    image = expect_tensor(image, shape=(3, 64, 64), dtype=torch.float32, name=f"{what} image")
    low, high = image.min().item(), image.max().item()
    if low < 0 or high > 1:
        raise InvalidValue(f"{what} image has values in [{low:.3g}, {high:.3g}], expected [0, 1]")
    return image


@number("3.1")
@pytest.mark.timeout(IMPORT_TIMEOUT_S)
@weight(5)
def test_channel_stats(student):
    """channel_stats gives each channel's mean and population std"""
    gen = torch.Generator().manual_seed(71)
    offset = torch.tensor([0.1, 0.4, 0.7])[None, :, None, None]
    spread = torch.tensor([0.05, 0.2, 0.1])[None, :, None, None]
    # a large batch, and a small one where the population and sample std differ clearly
    for shape in ((12, 3, 20, 24), (2, 3, 3, 4)):
        images = torch.rand(*shape, generator=gen) * spread + offset  # (N, C, H, W)
        flat = images.double().transpose(0, 1).reshape(3, -1)  # (C, N * H * W)
        result = student.transforms.channel_stats(images)
        if not isinstance(result, (tuple, list)) or len(result) != 2:
            raise InvalidValue("channel_stats should return a pair (mean, std)")
        mean = expect_tensor(result[0], shape=(3,), dtype=torch.float32, name="channel_stats mean")
        std = expect_tensor(result[1], shape=(3,), dtype=torch.float32, name="channel_stats std")
        assert torch.allclose(mean.double(), flat.mean(dim=1), atol=1e-5, rtol=1e-5), (
            f"channel_stats mean is {mean.tolist()}: average each channel over images, rows "
            "and columns"
        )
        assert torch.allclose(std.double(), flat.std(dim=1, correction=0), atol=1e-5, rtol=1e-5), (
            f"channel_stats std is {std.tolist()}: the population std of each channel over "
            "images, rows and columns (divide by the number of values, not one less)"
        )


@number("3.2")
@pytest.mark.timeout(IMPORT_TIMEOUT_S)
@weight(5)
def test_train_pipeline_is_random(student):
    """train_transform() augments at random and keeps the label"""
    transform = student.transforms.train_transform()
    for k, label in enumerate((0, 3, 5)):
        image = course_image(seed=80 + k)
        draws = [
            sample_of(transform(image, label), label, "train_transform()") for _ in range(DRAWS)
        ]
        assert any(not torch.equal(draws[0], other) for other in draws[1:]), (
            f"train_transform() returned the same image in {DRAWS} calls: augmentation should "
            "draw new random changes every time"
        )


@number("3.3")
@pytest.mark.timeout(IMPORT_TIMEOUT_S)
@weight(5)
def test_valid_pipeline_is_deterministic(student):
    """valid_transform() only converts to float32 in [0, 1] and keeps the label"""
    transform = student.transforms.valid_transform()
    for k, label in enumerate((1, 4)):
        image = course_image(seed=90 + k)
        first = sample_of(transform(image, label), label, "valid_transform()")
        assert torch.allclose(first, image.float() / 255, atol=1e-6, rtol=0), (
            "valid_transform() changed the image beyond scaling it to [0, 1]: evaluation "
            "must see the images as they are, with no augmentation"
        )
        again = sample_of(transform(image, label), label, "valid_transform()")
        assert torch.equal(first, again), "valid_transform() gave two different results"
