"""Task 3: a fully convolutional network (FCN) that labels every pixel.

Shapes use B = batch, C = channels, H x W = image size, K = number of classes.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn


def down_block(n_input: int, n_output: int) -> nn.Sequential:
    """Stride-2 3x3 conv, BatchNorm, ReLU: (B, n_input, H, W) -> (B, n_output, H', W').

    H' = ceil(H / 2) and W' = ceil(W / 2) with padding 1 (README: "Strided convolutions").

    No bias on the convolution: the BatchNorm after it has its own shift.
    """
    # TODO (Task 3): an nn.Sequential of nn.Conv2d(kernel_size=3, stride=2, padding=1,
    #   bias=False), nn.BatchNorm2d(n_output) and nn.ReLU.
    raise NotImplementedError("Task 3: down_block")


def up_block(n_input: int, n_output: int) -> nn.Sequential:
    """Stride-2 3x3 up-convolution, BatchNorm, ReLU: (B, n_input, h, w) -> (B, n_output, 2h, 2w).

    A transposed convolution gives (h - 1) * stride - 2 * padding + kernel_size +
    output_padding = 2h positions with kernel 3, stride 2, padding 1, output_padding 1.
    """
    # TODO (Task 3): an nn.Sequential of nn.ConvTranspose2d with those settings and
    #   bias=False, nn.BatchNorm2d(n_output) and nn.ReLU.
    raise NotImplementedError("Task 3: up_block")


class FCN(nn.Module):
    """Encoder of stride-2 down blocks, decoder of up blocks with skip connections.

    With the default channels a 96x128 image goes down to 48x64 (16 ch), 24x32 (32 ch),
    12x16 (64 ch) and 6x8 (96 ch), then back up; each up block's output is cut to the size
    of the map at that scale and concatenated with it (the skip; at full resolution, the
    image itself), and a 1x1 conv scores K classes per pixel.
    """

    def __init__(self, channels: Sequence[int] = (16, 32, 64, 96), n_classes: int = 5) -> None:
        super().__init__()
        # TODO (Task 3):
        #   1. self.down, an nn.ModuleList of down_block(previous width -> width) for each
        #      width in channels, starting from the 3 image channels.
        #   2. self.up, an nn.ModuleList of up blocks, deepest first: the up block under
        #      down block i maps back to the width of down block i - 1's output (the skip
        #      it is concatenated with), and the last one to channels[0]. Its input width
        #      is that of the previous concatenation: up output + skip widths.
        #   3. self.head, an nn.Conv2d with kernel_size=1 from the last concatenation
        #      (channels[0] + the 3 image channels) to n_classes.
        raise NotImplementedError("Task 3: FCN.__init__")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 3, H, W) in [0, 1] -> (B, K, H, W) logits, for any H, W."""
        # TODO (Task 3): keep the input of every down block in a list (the skips: the
        #   image, then each down block's output but the deepest). Then, for each up block,
        #   deepest first: z = up(z), cut to the skip's H x W (z[:, :, :h, :w]; a size
        #   rounded up on the way down comes back one larger), torch.cat([z, skip], dim=1).
        #   Finally the 1x1 head.
        raise NotImplementedError("Task 3: FCN.forward")
