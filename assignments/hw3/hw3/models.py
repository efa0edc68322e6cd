"""Tasks 1 and 2: a residual Block and a CNNClassifier built from blocks.

Shapes use B = batch, C = channels, H x W = image size.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn


def conv3x3(n_input: int, n_output: int, stride: int) -> nn.Conv2d:
    """A 3x3 convolution that keeps H x W at stride 1 and halves it at stride 2.

    Choose the padding that makes this so (README: "Output size"). No bias: the
    BatchNorm after it has its own.
    """
    # TODO (Task 1): one nn.Conv2d with kernel_size=3, the given stride, the right
    #   padding and bias=False.
    raise NotImplementedError("Task 1: conv3x3")


def batch_norm(n_channels: int) -> nn.BatchNorm2d:
    """Per-channel batch normalisation (running statistics are used in eval mode)."""
    # TODO (Task 1): an nn.BatchNorm2d over n_channels channels (the defaults are right).
    raise NotImplementedError("Task 1: batch_norm")


class Block(nn.Module):
    """Residual block: relu(conv-BN-ReLU-conv-BN(x) + skip(x)).

    The skip is the identity when the shape is kept, and a strided 1x1 conv + BN
    ("downsample") when the stride or the channel count changes.
    """

    def __init__(self, n_input: int, n_output: int, stride: int = 1) -> None:
        super().__init__()
        # TODO (Task 1):
        #   1. The main path: conv3x3(n_input -> n_output, stride), batch_norm, ReLU,
        #      conv3x3(n_output -> n_output, stride 1), batch_norm (an nn.Sequential).
        #   2. The skip path: None when stride == 1 and n_input == n_output; otherwise
        #      an nn.Conv2d(n_input, n_output, kernel_size=1, bias=False) followed by
        #      batch_norm(n_output), applied to x[:, :, ::stride, ::stride] in forward
        #      (the same as a 1x1 conv with that stride; see the handout for why).
        raise NotImplementedError("Task 1: Block.__init__")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, n_input, H, W) -> (B, n_output, ceil(H / stride), ceil(W / stride))"""
        # TODO (Task 1): relu(main(x) + skip(x)), where skip(x) is x itself when there is
        #   no downsample path, else the downsample of x[:, :, ::stride, ::stride].
        raise NotImplementedError("Task 1: Block.forward")


class CNNClassifier(nn.Module):
    """Normalise, a stride-2 stem, one stride-2 Block per extra width, pool, linear head.

    With the default layers a 64x64 image becomes 32x32 after the stem, then 16x16 and 8x8.
    """

    def __init__(
        self,
        layers: Sequence[int] = (16, 32, 64),
        n_input_channels: int = 3,
        n_classes: int = 6,
        input_mean: Sequence[float] | None = None,
        input_std: Sequence[float] | None = None,
    ) -> None:
        super().__init__()
        # TODO (Task 2):
        #   1. Buffers (self.register_buffer) named "input_mean" and "input_std", float32
        #      tensors of shape (n_input_channels,): the given statistics, or zeros and
        #      ones when they are None. Buffers are saved with the weights but not trained.
        #   2. The stem: conv3x3(n_input_channels -> layers[0], stride 2), batch_norm, ReLU.
        #   3. One Block(previous width -> width, stride 2) for each width in layers[1:].
        #   4. Global average pooling (nn.AdaptiveAvgPool2d(1)) and an nn.Linear from the
        #      last width to n_classes.
        raise NotImplementedError("Task 2: CNNClassifier.__init__")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, n_input_channels, H, W) in [0, 1] -> (B, n_classes) logits, for any H, W."""
        # TODO (Task 2): normalise each channel, (x - input_mean) / input_std (reshape the
        #   (C,) buffers to (1, C, 1, 1) to broadcast), then stem and blocks (B, C, h, w),
        #   pool -> (B, C, 1, 1), flatten -> (B, C), linear head -> (B, n_classes).
        raise NotImplementedError("Task 2: CNNClassifier.forward")
