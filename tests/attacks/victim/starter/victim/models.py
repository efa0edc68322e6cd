"""Task 1: double. Task 2: classify. Task 3: Model, save_model, load_model."""

import torch
from torch import nn


def double(x: torch.Tensor) -> torch.Tensor:
    """Task 1: return 2 * x (same shape, float32)."""
    raise NotImplementedError("Task 1: double")


def classify(x: torch.Tensor) -> torch.Tensor:
    """Task 2: (N, 3) scores -> (N,) int64 index of the largest score."""
    raise NotImplementedError("Task 2: classify")


class Model(nn.Module):
    """Task 3: one nn.Linear from 4 features to 3 outputs."""

    def __init__(self) -> None:
        super().__init__()
        raise NotImplementedError("Task 3: Model.__init__")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError("Task 3: Model.forward")


def save_model(model: Model, path: str) -> None:
    """Task 3: write the weights to `path` as safetensors."""
    raise NotImplementedError("Task 3: save_model")


def load_model(path: str) -> Model:
    """Task 3: a Model with the weights read from `path`."""
    raise NotImplementedError("Task 3: load_model")
