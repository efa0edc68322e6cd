"""Tasks 1 and 2: a multi-layer perceptron and its initialisation.

Two linear maps in a row are still one linear map, W2 (W1 x + b1) + b2 = (W2 W1) x + c,
so stacking nn.Linear layers buys nothing until a non-linearity sits between them. An MLP
alternates affine maps and ReLUs:

    x (B, 3, 64, 64) -> flatten (B, 12288) -> [Linear -> ReLU -> Dropout] * len(hidden_dims)
                     -> Linear -> logits (B, 6)

Every Linear has a bias and nothing else has parameters, so for layer widths
d_0 = 12288, d_1..d_k = hidden_dims, d_{k+1} = 6 the model has
sum_i (d_i * d_{i+1} + d_{i+1}) parameters.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

NUM_CLASSES = 6
IMAGE_SHAPE = (3, 64, 64)  # (C, H, W)
INPUT_DIM = IMAGE_SHAPE[0] * IMAGE_SHAPE[1] * IMAGE_SHAPE[2]  # 12288


def init_weights(module: nn.Module) -> None:
    """Initialise one layer in place; call it through `model.apply(init_weights)`.

    For every nn.Linear: Kaiming-normal weights for a ReLU network (variance 2 / fan_in,
    so each layer keeps the scale of its input) and zero biases. Other modules are left
    alone. Never set the weights to zero: every unit of a layer would compute the same
    thing, receive the same gradient, and stay identical forever.
    """
    if isinstance(module, nn.Linear):
        nn.init.kaiming_normal_(module.weight, mode="fan_in", nonlinearity="relu")
        nn.init.zeros_(module.bias)


class MLPClassifier(nn.Module):
    """Flatten, then `len(hidden_dims)` blocks of Linear -> ReLU -> Dropout, then Linear."""

    def __init__(self, hidden_dims: Sequence[int] = (512, 128), dropout: float = 0.1) -> None:
        """Build the layers and initialise them with `init_weights`.

        Args:
            hidden_dims: the width of each hidden layer, input side first; () gives a
                linear classifier.
            dropout: the probability of zeroing a hidden unit during training, in [0, 1).
        """
        super().__init__()
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        if any(int(h) < 1 for h in hidden_dims):
            raise ValueError(f"hidden_dims must be positive widths, got {tuple(hidden_dims)}")
        layers: list[nn.Module] = [nn.Flatten()]  # (B, 3, 64, 64) -> (B, 12288)
        width = INPUT_DIM
        for hidden in hidden_dims:
            layers += [nn.Linear(width, int(hidden)), nn.ReLU(), nn.Dropout(dropout)]
            width = int(hidden)
        layers.append(nn.Linear(width, NUM_CLASSES))  # logits: no ReLU after the last layer
        self.layers = nn.Sequential(*layers)
        self.apply(init_weights)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Score a batch of images.

        Args:
            x: (B, 3, 64, 64) float images with values in [0, 1].

        Returns:
            (B, 6) logits, one row per image.
        """
        return self.layers(x - 0.5)  # centred pixels: zero-mean inputs train faster
