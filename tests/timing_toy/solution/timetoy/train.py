"""Train a channel-colour classifier (toy)."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

SLEEP_S = 0.0  # the project's tests make a too-slow mutant by raising this
STEPS = 100


def make_model() -> nn.Module:
    # (B, 3, 64, 64) -> (B, 3) channel means -> (B, 3) logits
    return nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(3, 3))


def train(
    *,
    data_dir: str,
    device: str = "cpu",
    time_budget_s: float = 60.0,
    seed: int = 0,
    log_dir: str | None = None,
) -> nn.Module:
    """Train on data_dir/images/train_*.npy for a fixed number of steps; return the model."""
    torch.manual_seed(seed)
    root = Path(data_dir) / "images"
    x = torch.from_numpy(np.load(root / "train_images.npy")).float().div(255).to(device)
    x = x.mean(dim=(2, 3), keepdim=True)  # (N, 3, 1, 1): the model only needs channel means
    y = torch.from_numpy(np.load(root / "train_labels.npy")).to(device)
    model = make_model().to(device)
    # Plain SGD by hand: the first torch.optim optimizer in a process imports torch._dynamo
    # (seconds on a loaded machine), which would blur what the toy's budget measures.
    for _ in range(STEPS):
        loss = nn.functional.cross_entropy(model(x), y)
        model.zero_grad()
        loss.backward()
        with torch.no_grad():
            for p in model.parameters():
                p -= 5.0 * p.grad
    time.sleep(SLEEP_S)
    if log_dir is not None:
        # What the sandbox set up, for the project's determinism tests to read back.
        Path(log_dir, "log.txt").write_text(
            f"final loss {loss.item():.4f}\n"
            f"deterministic {torch.are_deterministic_algorithms_enabled()}\n"
            f"threads {torch.get_num_threads()}\n"
            f"seed {seed}\n"
        )
    return model
