"""Tasks 1 and 2: a residual Block and a CNNClassifier built from blocks.

Shapes use B = batch, C = channels, H x W = image size.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn


def conv3x3(n_input: int, n_output: int, stride: int) -> nn.Conv2d:
    """A 3x3 convolution that keeps H x W at stride 1 and halves it at stride 2.

    padding = (k - 1) // 2 = 1 for k = 3. No bias: the BatchNorm after it has its own.
    """
    return nn.Conv2d(n_input, n_output, kernel_size=3, stride=stride, padding=1, bias=False)


def batch_norm(n_channels: int) -> nn.BatchNorm2d:
    """Per-channel batch normalisation (running statistics are used in eval mode)."""
    return nn.BatchNorm2d(n_channels)


class Block(nn.Module):
    """Residual block: relu(conv-BN-ReLU-conv-BN(x) + skip(x)).

    The skip is the identity when the shape is kept, and a strided 1x1 conv + BN
    ("downsample") when the stride or the channel count changes.
    """

    def __init__(self, n_input: int, n_output: int, stride: int = 1) -> None:
        super().__init__()
        self.net = nn.Sequential(
            conv3x3(n_input, n_output, stride),
            batch_norm(n_output),
            nn.ReLU(inplace=True),
            conv3x3(n_output, n_output, 1),
            batch_norm(n_output),
        )
        self.stride = stride
        self.downsample: nn.Module | None = None
        if stride != 1 or n_input != n_output:
            # a 1x1 conv with stride s reads every s-th pixel: slicing in forward() and a
            # stride-1 conv compute the same, and avoid torch 2.14.1's CPU crash in the
            # backward of 1x1 stride-2 convs on channels_last tensors
            self.downsample = nn.Sequential(
                nn.Conv2d(n_input, n_output, kernel_size=1, bias=False),
                batch_norm(n_output),
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, n_input, H, W) -> (B, n_output, ceil(H / stride), ceil(W / stride))"""
        if self.downsample is None:
            identity = x
        else:
            identity = self.downsample(x[:, :, :: self.stride, :: self.stride])
        return torch.relu(self.net(x) + identity)


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
        mean = torch.zeros(n_input_channels) if input_mean is None else torch.tensor(input_mean)
        std = torch.ones(n_input_channels) if input_std is None else torch.tensor(input_std)
        # Buffers, not parameters: saved in the state_dict, never trained.
        self.register_buffer("input_mean", mean.float())
        self.register_buffer("input_std", std.float())

        c = layers[0]
        blocks: list[nn.Module] = [
            conv3x3(n_input_channels, c, stride=2),
            batch_norm(c),
            nn.ReLU(inplace=True),
        ]
        for n_output in layers[1:]:
            blocks.append(Block(c, n_output, stride=2))
            c = n_output
        self.features = nn.Sequential(*blocks)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.head = nn.Linear(c, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, n_input_channels, H, W) in [0, 1] -> (B, n_classes) logits, for any H, W."""
        x = (x - self.input_mean[None, :, None, None]) / self.input_std[None, :, None, None]
        z = self.pool(self.features(x))  # (B, C, 1, 1)
        return self.head(z.flatten(1))
