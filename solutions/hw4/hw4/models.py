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
    return nn.Sequential(
        nn.Conv2d(n_input, n_output, kernel_size=3, stride=2, padding=1, bias=False),
        nn.BatchNorm2d(n_output),
        nn.ReLU(inplace=True),
    )


def up_block(n_input: int, n_output: int) -> nn.Sequential:
    """Stride-2 3x3 up-convolution, BatchNorm, ReLU: (B, n_input, h, w) -> (B, n_output, 2h, 2w).

    A transposed convolution gives (h - 1) * stride - 2 * padding + kernel_size +
    output_padding = 2h positions with kernel 3, stride 2, padding 1, output_padding 1.
    """
    return nn.Sequential(
        nn.ConvTranspose2d(
            n_input, n_output, kernel_size=3, stride=2, padding=1, output_padding=1, bias=False
        ),
        nn.BatchNorm2d(n_output),
        nn.ReLU(inplace=True),
    )


class FCN(nn.Module):
    """Encoder of stride-2 down blocks, decoder of up blocks with skip connections.

    With the default channels a 96x128 image goes down to 48x64 (16 ch), 24x32 (32 ch),
    12x16 (64 ch) and 6x8 (96 ch), then back up; each up block's output is cut to the size
    of the map at that scale and concatenated with it (the skip; at full resolution, the
    image itself), and a 1x1 conv scores K classes per pixel.
    """

    def __init__(self, channels: Sequence[int] = (16, 32, 64, 96), n_classes: int = 5) -> None:
        super().__init__()
        self.down = nn.ModuleList()
        c = 3
        for width in channels:
            self.down.append(down_block(c, width))
            c = width
        # up[i] undoes down[i]: it maps to the width of down[i - 1]'s output (the skip it is
        # concatenated with), and the first one back to channels[0] at full resolution.
        self.up = nn.ModuleList()
        widths = list(channels)
        for i in reversed(range(len(widths))):
            n_output = widths[i - 1] if i > 0 else widths[0]
            self.up.append(up_block(c, n_output))
            c = n_output * 2 if i > 0 else n_output  # concatenated with the skip
        self.head = nn.Conv2d(c + 3, n_classes, kernel_size=1)  # + the input image itself

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 3, H, W) in [0, 1] -> (B, K, H, W) logits, for any H, W."""
        skips = [x]  # the input at every scale before the next stride-2 step
        z = x
        for block in self.down:
            z = block(z)
            skips.append(z)
        skips.pop()  # the deepest map is z itself, not a skip
        for block in self.up:
            skip = skips.pop()
            # Up-sampling doubles h, w; an odd size was rounded up on the way down, so cut
            # the extra row / column to match the skip (B, C, H_skip, W_skip).
            z = block(z)[:, :, : skip.shape[2], : skip.shape[3]]
            z = torch.cat([z, skip], dim=1)
        return self.head(z)
