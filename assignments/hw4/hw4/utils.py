"""Given helpers: the data pipeline around Task 4's augmentation, and saving / loading models.

Nothing to write here; read it to see how your code is used.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch.utils.data import DataLoader

from .models import FCN

PairTransform = Callable[[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]


def load_data(
    data_dir: str | Path,
    split: str,
    *,
    transform: PairTransform | None = None,
    batch_size: int = 8,
    shuffle: bool = False,
    seed: int = 0,
) -> DataLoader:
    """Batches (images (B, 3, 96, 128) float32 in [0, 1], masks (B, 96, 128) int64) of a split.

    `transform(image, mask)` gets and returns one pair, so flips stay aligned; `seed`
    fixes the shuffling order, so a run can be repeated. The dataset's `.masks` holds
    every mask of the split, uint8 (N, 96, 128), e.g. to count the pixels of each class.
    """
    from coursedata import Segmentation  # given; part of the course environment

    generator = torch.Generator().manual_seed(seed)
    dataset = Segmentation(Path(data_dir), split, transform=transform)
    return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle, generator=generator)


def save_model(model: FCN, path: str | Path) -> Path:
    """Save the weights (the state_dict, BatchNorm statistics included); returns the path."""
    torch.save(model.state_dict(), path)
    return Path(path)


def load_model(path: str | Path, device: str = "cpu", **model_kwargs: Any) -> FCN:
    """An FCN(**model_kwargs) with the weights saved by save_model, in eval mode."""
    model = FCN(**model_kwargs)
    model.load_state_dict(torch.load(path, map_location=device, weights_only=True))
    return model.to(device).eval()
