"""Task 3: channel_stats and the two data pipelines."""

from __future__ import annotations

import torch

from hw3.transforms import channel_stats, train_transform, valid_transform


def _image(seed: int = 0) -> torch.Tensor:
    """uint8 (3, 64, 64), like one course image."""
    gen = torch.Generator().manual_seed(seed)
    return torch.randint(0, 256, (3, 64, 64), dtype=torch.uint8, generator=gen)


def test_channel_stats() -> None:
    gen = torch.Generator().manual_seed(0)
    images = torch.rand(10, 3, 8, 8, generator=gen) * torch.tensor([1.0, 2.0, 3.0])[:, None, None]
    mean, std = channel_stats(images)
    assert mean.shape == (3,) and std.shape == (3,)
    per_channel = images.transpose(0, 1).reshape(3, -1)  # (C, N * H * W)
    torch.testing.assert_close(mean, per_channel.mean(dim=1))
    torch.testing.assert_close(std, per_channel.std(dim=1, correction=0))


def test_train_transform_keeps_shape_and_label() -> None:
    transform = train_transform()
    image, label = transform(_image(), 4)
    assert label == 4
    assert image.shape == (3, 64, 64) and image.dtype == torch.float32
    assert 0.0 <= image.min() and image.max() <= 1.0


def test_train_transform_is_random() -> None:
    transform, image = train_transform(), _image(1)
    outputs = [transform(image, 0)[0] for _ in range(8)]
    assert any(not torch.equal(outputs[0], other) for other in outputs[1:])


def test_valid_transform_only_converts() -> None:
    transform, image = valid_transform(), _image(2)
    first, label = transform(image, 3)
    assert label == 3
    torch.testing.assert_close(first, image.float() / 255)
    assert torch.equal(first, transform(image, 3)[0]), "evaluation must be deterministic"
