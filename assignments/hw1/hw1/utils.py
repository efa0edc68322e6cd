"""Data helpers (given) and Task 5: saving and loading a trained model.

A model's learned numbers live in its state_dict, an ordered mapping from parameter
names ("linear.weight", "linear.bias") to tensors. Save that, not the whole module
object: the file stays small, and loading it back with torch.load(..., weights_only=True)
reads tensors only and never runs code that was stored in the file.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch.utils.data import DataLoader, TensorDataset, default_collate

from .models import LinearClassifier


def load_data(
    data_dir: str | Path, split: str, *, batch_size: int = 128, shuffle: bool = False
) -> DataLoader:
    """A DataLoader over one split ("train", "valid" or "test") of the course image data.

    Each batch is (images, labels): images (B, 3, 64, 64) float32 in [0, 1], labels (B,)
    int64. The dataset lives in `data_dir`/images/ (make data creates it).
    """
    from coursedata import ImageClassification  # given; part of the course environment

    data = ImageClassification(Path(data_dir), split)
    # Batches are gathered as uint8 and scaled once per batch: 4x less memory traffic than
    # scaling image by image, which matters on a 2-core laptop.
    pairs = TensorDataset(data.images, data.labels)  # uint8 (N, 3, 64, 64), int64 (N,)
    return DataLoader(pairs, batch_size=batch_size, shuffle=shuffle, collate_fn=_to_float)


def _to_float(batch: list[tuple[torch.Tensor, torch.Tensor]]) -> tuple[torch.Tensor, torch.Tensor]:
    images, labels = default_collate(batch)  # (B, 3, 64, 64) uint8, (B,) int64
    return images.float().div_(255.0), labels


def save_model(model: LinearClassifier, path: str | Path) -> Path:
    """Save the model's weights (its state_dict) to `path` and return the path.

    The file must stay small (well under 1 MB for this model): weights only, no
    optimizer state, no data.
    """
    # TODO (Task 5): torch.save the model's state_dict to `path`; return Path(path).
    raise NotImplementedError("Task 5: save_model")


def load_model(path: str | Path, device: str = "cpu") -> LinearClassifier:
    """Build a fresh LinearClassifier, load the weights saved by save_model, and return it
    in eval mode on `device`. It must give exactly the outputs of the model that was saved.
    """
    # TODO (Task 5): make a LinearClassifier, torch.load the file with
    #   map_location=device and weights_only=True, load_state_dict, move to `device`, eval().
    raise NotImplementedError("Task 5: load_model")
