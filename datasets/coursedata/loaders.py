"""torch `Dataset`s over the generated files (see contracts section 4)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from coursedata.errors import DatasetError

Transform = Callable[[torch.Tensor], torch.Tensor]
SPLITS = ("train", "valid", "test")


def load_array(directory: Path, filename: str) -> np.ndarray:
    """np.load without pickle; a missing file names the command that makes it."""
    path = directory / filename
    if not path.is_file():
        raise DatasetError(
            f"{path} not found: run `make data` (or `grader data {directory.name}`) first"
        )
    return np.load(path, allow_pickle=False)


def _check_split(split: str) -> None:
    if split not in SPLITS:
        raise DatasetError(f"unknown split {split!r}: choose one of {', '.join(SPLITS)}")


class ImageClassification(Dataset[tuple[torch.Tensor, int]]):
    """The `images` dataset: (float32 (3, 64, 64) in [0, 1], int label).

    `.images` is the uint8 tensor (N, 3, 64, 64), `.labels` int64 (N,). The test split has
    no labels in the public root: its labels are -1 unless `labels_root` (the hidden root)
    is given.
    """

    def __init__(
        self,
        root: str | Path,
        split: str = "train",
        transform: Transform | None = None,
        *,
        labels_root: str | Path | None = None,
    ) -> None:
        _check_split(split)
        directory = Path(root) / "images"
        self.images = torch.from_numpy(load_array(directory, f"{split}_images.npy"))
        if split != "test":
            labels = load_array(directory, f"{split}_labels.npy")
        elif labels_root is not None:
            labels = load_array(Path(labels_root) / "images", "test_labels.npy")
        else:
            labels = np.full(len(self.images), -1, dtype=np.int64)
        self.labels = torch.from_numpy(labels.astype(np.int64))
        self.transform = transform

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        image = self.images[index].float().div_(255.0)  # (3, 64, 64)
        if self.transform is not None:
            image = self.transform(image)
        return image, int(self.labels[index])


class Segmentation(Dataset[tuple[torch.Tensor, torch.Tensor]]):
    """The `segmentation` dataset: (float32 (3, 96, 128) in [0, 1], int64 (96, 128) mask).

    `.images` uint8 (N, 3, 96, 128), `.masks` uint8 (N, 96, 128). Test masks come from
    `labels_root` (the hidden root) when given, else they are all 255 ("unknown").
    `transform` gets and returns the (image, mask) pair, so crops and flips stay aligned.
    """

    def __init__(
        self,
        root: str | Path,
        split: str = "train",
        transform: Callable[[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]
        | None = None,
        *,
        labels_root: str | Path | None = None,
    ) -> None:
        _check_split(split)
        directory = Path(root) / "segmentation"
        self.images = torch.from_numpy(load_array(directory, f"{split}_images.npy"))
        if split != "test":
            masks = load_array(directory, f"{split}_masks.npy")
        elif labels_root is not None:
            masks = load_array(Path(labels_root) / "segmentation", "test_masks.npy")
        else:
            masks = np.full((len(self.images), *self.images.shape[2:]), 255, dtype=np.uint8)
        self.masks = torch.from_numpy(masks)
        self.transform = transform

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        image = self.images[index].float().div_(255.0)  # (3, H, W)
        mask = self.masks[index].long()  # (H, W)
        if self.transform is not None:
            image, mask = self.transform(image, mask)
        return image, mask


class Sequences(Dataset[torch.Tensor]):
    """The `sequences` dataset: int64 (L,) rows of indices into `VOCAB`; `.tokens` is
    the uint8 (N, L) array. The test split lives only in the hidden root (pass it as
    `root` with split="test")."""

    def __init__(self, root: str | Path, split: str = "train") -> None:
        _check_split(split)
        self.tokens = torch.from_numpy(load_array(Path(root) / "sequences", f"{split}_tokens.npy"))

    def __len__(self) -> int:
        return len(self.tokens)

    def __getitem__(self, index: int) -> torch.Tensor:
        return self.tokens[index].long()
