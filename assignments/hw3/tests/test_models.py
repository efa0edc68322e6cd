"""Tasks 1 and 2: Block and CNNClassifier."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from hw3.models import Block, CNNClassifier


@pytest.mark.parametrize(
    ("n_input", "n_output", "stride", "size", "expected"),
    [(8, 8, 1, 16, 16), (8, 16, 1, 16, 16), (8, 16, 2, 16, 8), (8, 8, 2, 15, 8)],
)
def test_block_output_shape(n_input: int, n_output: int, stride: int, size: int,
                            expected: int) -> None:
    block = Block(n_input, n_output, stride)
    y = block(torch.rand(2, n_input, size, size))
    assert y.shape == (2, n_output, expected, expected)
    assert (y >= 0).all(), "a block ends with a ReLU"


def _count(module: nn.Module, kind: type) -> int:
    return sum(isinstance(m, kind) for m in module.modules())


def test_block_layers() -> None:
    same, changed = Block(8, 8, 1), Block(8, 16, 2)
    assert _count(same, nn.Conv2d) == 2 and _count(same, nn.BatchNorm2d) == 2, (
        "a block that keeps the shape has two 3x3 convs, two BatchNorms and an identity skip"
    )
    assert _count(changed, nn.Conv2d) == 3 and _count(changed, nn.BatchNorm2d) == 3, (
        "a block that changes the shape adds a 1x1 conv + BatchNorm on the skip path"
    )
    for conv in (m for m in changed.modules() if isinstance(m, nn.Conv2d)):
        assert conv.bias is None, "no bias before a BatchNorm: its shift makes it redundant"


@pytest.mark.parametrize("size", [(64, 64), (32, 32), (48, 80)])
def test_classifier_output_shape(size: tuple[int, int]) -> None:
    model = CNNClassifier().eval()
    with torch.no_grad():
        logits = model(torch.rand(3, 3, *size))
    assert logits.shape == (3, 6) and logits.dtype == torch.float32


def test_eval_mode_scores_images_independently() -> None:
    torch.manual_seed(0)
    model = CNNClassifier()
    model.train()
    with torch.no_grad():
        model(torch.rand(16, 3, 64, 64))  # moves the running statistics away from 0 / 1
    model.eval()
    x = torch.rand(4, 3, 64, 64)
    with torch.no_grad():
        together = model(x)
        alone = torch.cat([model(x[i:i + 1]) for i in range(4)])
    torch.testing.assert_close(together, alone, rtol=1e-4, atol=1e-4)


def test_input_statistics_are_buffers() -> None:
    model = CNNClassifier(input_mean=[0.1, 0.2, 0.3], input_std=[0.4, 0.5, 0.6])
    buffers = dict(model.named_buffers())
    torch.testing.assert_close(buffers["input_mean"], torch.tensor([0.1, 0.2, 0.3]))
    torch.testing.assert_close(buffers["input_std"], torch.tensor([0.4, 0.5, 0.6]))
    assert "input_mean" not in dict(model.named_parameters()), "statistics are not trained"
