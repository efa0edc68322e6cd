"""Given helpers: the data pipeline around Task 3's transforms, and saving / loading models.

Nothing to write here; read it to see how your transforms are used.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch.utils.data import DataLoader, Dataset

from .models import CNNClassifier


class ImageSamples(Dataset):
    """One split of the course images as (image, label) samples passed through `transform`.

    `transform(image, label)` gets image uint8 (3, 64, 64) and an int label and returns
    the pair the model trains on: (float32 (3, 64, 64) in [0, 1], the same label).
    """

    def __init__(self, data_dir: str | Path, split: str, transform: Callable[..., Any]) -> None:
        from coursedata import ImageClassification  # given; part of the course environment

        base = ImageClassification(Path(data_dir), split)
        self.images = base.images  # uint8 (N, 3, 64, 64)
        self.labels = base.labels  # int64 (N,)
        self.transform = transform

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        return self.transform(self.images[index], int(self.labels[index]))


def load_data(
    data_dir: str | Path,
    split: str,
    *,
    transform: Callable[..., Any],
    batch_size: int = 128,
    shuffle: bool = False,
    seed: int = 0,
) -> DataLoader:
    """Batches (images (B, 3, 64, 64) float32, labels (B,) int64) of one split.

    `seed` fixes the shuffling order, so a run can be repeated.
    """
    generator = torch.Generator().manual_seed(seed)
    dataset = ImageSamples(data_dir, split, transform)
    return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle, generator=generator)


def save_model(model: CNNClassifier, path: str | Path) -> Path:
    """Save the weights (the state_dict, buffers included) to `path`; returns the path."""
    torch.save(model.state_dict(), path)
    return Path(path)


def load_model(path: str | Path, device: str = "cpu", **model_kwargs: Any) -> CNNClassifier:
    """A CNNClassifier(**model_kwargs) with the weights saved by save_model, in eval mode."""
    model = CNNClassifier(**model_kwargs)
    model.load_state_dict(torch.load(path, map_location=device, weights_only=True))
    return model.to(device).eval()
