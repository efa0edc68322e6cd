"""Task 3: the FCN's output size on any input, its layers, and a tiny overfit."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from hw4.models import FCN, down_block, up_block


def test_blocks_halve_and_double() -> None:
    x = torch.rand(2, 4, 15, 20)
    assert down_block(4, 8)(x).shape == (2, 8, 8, 10)  # rounds up
    assert up_block(4, 8)(x).shape == (2, 8, 30, 40)


@pytest.mark.parametrize("size", [(96, 128), (64, 64), (50, 70), (33, 47)])
def test_output_matches_the_input_size(size: tuple[int, int]) -> None:
    model = FCN().eval()
    with torch.no_grad():
        logits = model(torch.rand(2, 3, *size))
    assert logits.shape == (2, 5, *size) and logits.dtype == torch.float32


def test_layers() -> None:
    model = FCN()
    kinds = [type(m) for m in model.modules()]
    strided = [m for m in model.modules() if isinstance(m, nn.Conv2d) and m.stride == (2, 2)]
    assert len(strided) >= 2, "at least two stride-2 convolutions"
    assert nn.ConvTranspose2d in kinds and nn.BatchNorm2d in kinds
    assert 10_000 <= sum(p.numel() for p in model.parameters()) <= 500_000


def test_overfits_one_scene() -> None:
    """A few dozen steps on one made-up scene: a working FCN learns it almost perfectly."""
    torch.manual_seed(0)
    image = torch.rand(1, 3, 32, 48)
    mask = torch.zeros(1, 32, 48, dtype=torch.int64)
    mask[:, 8:20, 10:30] = 2  # a "track" band
    mask[:, 12:16, 14:18] = 1  # a "kart" on it
    image[:, :, 8:20, 10:30] = 0.5
    image[:, 0, 12:16, 14:18] = 1.0
    model = FCN()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(60):
        loss = nn.functional.cross_entropy(model(image), mask)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        accuracy = (model(image).argmax(dim=1) == mask).float().mean().item()
    assert accuracy > 0.95, f"pixel accuracy {accuracy:.2f} after 60 steps on one scene"
