"""Given: mini-batches over the course image data (you do not need to change this file).

The images stay uint8 in memory (10 000 x 3 x 64 x 64 bytes = 123 MB) and each batch is
converted to float in [0, 1] only when it is drawn, so memory stays small.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch.utils.data import DataLoader, TensorDataset


def load_split(data_dir: str | Path, split: str) -> tuple[torch.Tensor, torch.Tensor]:
    """images uint8 (N, 3, 64, 64) and labels int64 (N,) of one split ("train" or "valid")."""
    from coursedata import ImageClassification  # given; part of the course environment

    dataset = ImageClassification(Path(data_dir), split)
    return dataset.images, torch.as_tensor(dataset.labels, dtype=torch.int64)


def _to_float(batch: list[tuple[torch.Tensor, torch.Tensor]]) -> tuple[torch.Tensor, torch.Tensor]:
    images = torch.stack([image for image, _ in batch]).float() / 255.0  # (B, 3, 64, 64)
    labels = torch.stack([label for _, label in batch])  # (B,)
    return images, labels


def make_loader(
    images: torch.Tensor, labels: torch.Tensor, *, batch_size: int, shuffle: bool, seed: int = 0
) -> DataLoader:
    """Batches of (images float32 (B, 3, 64, 64) in [0, 1], labels int64 (B,)).

    With shuffle=True the order changes every epoch, drawn from a generator seeded with
    `seed`, so a run is repeatable.
    """
    generator = torch.Generator().manual_seed(seed)
    return DataLoader(
        TensorDataset(images, labels),
        batch_size=batch_size,
        shuffle=shuffle,
        generator=generator,
        collate_fn=_to_float,
    )
