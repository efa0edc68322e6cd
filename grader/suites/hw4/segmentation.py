"""Trusted metrics for the Homework 4 suite, computed in the parent on plain tensors."""

from __future__ import annotations

import torch

IGNORE_INDEX = 255
N_CLASSES = 5


def confusion(
    predictions: torch.Tensor, labels: torch.Tensor, n_classes: int = N_CLASSES
) -> torch.Tensor:
    """int64 (K, K): [true, predicted] pixel counts, IGNORE_INDEX labels left out."""
    keep = labels != IGNORE_INDEX
    pairs = labels[keep].long() * n_classes + predictions[keep].long()
    return torch.bincount(pairs, minlength=n_classes**2).reshape(n_classes, n_classes)


def iou(matrix: torch.Tensor) -> torch.Tensor:
    """float64 (K,) IoU per class, NaN for a class neither labelled nor predicted."""
    m = matrix.double()
    hits = m.diag()
    union = m.sum(0) + m.sum(1) - hits
    return torch.where(union > 0, hits / union.clamp(min=1), torch.nan)


def mean_iou(matrix: torch.Tensor) -> float:
    per_class = iou(matrix)
    present = per_class[~per_class.isnan()]
    return float(present.mean()) if len(present) else 0.0


def pixel_accuracy(matrix: torch.Tensor) -> float:
    total = int(matrix.sum())
    return float(matrix.diag().sum()) / total if total else 0.0


def noisy_predictions(
    labels: torch.Tensor, keep: float, seed: int, n_classes: int = N_CLASSES
) -> torch.Tensor:
    """Labels with a share 1 - keep of pixels replaced by random classes (int64)."""
    gen = torch.Generator().manual_seed(seed)
    noise = torch.randint(0, n_classes, labels.shape, generator=gen)
    right = torch.rand(labels.shape, generator=gen) < keep
    return torch.where(right & (labels != IGNORE_INDEX), labels.long(), noise)


def scene_labels(
    shape: tuple[int, ...], seed: int, shares: tuple[float, ...] = (0.6, 0.08, 0.2, 0.05, 0.07)
) -> torch.Tensor:
    """int64 labels drawn with the given class shares (imbalanced, like the scenes)."""
    gen = torch.Generator().manual_seed(seed)
    probs = torch.tensor(shares, dtype=torch.float64)
    flat = torch.multinomial(
        probs, int(torch.tensor(shape).prod()), replacement=True, generator=gen
    )
    return flat.reshape(shape)
