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

    For every nn.Linear: weights drawn so that each layer keeps the scale of its input
    (Kaiming for layers followed by a ReLU, or Xavier), and biases set to zero. Other
    modules are left alone. Never set the weights to zero.
    """
    # TODO (Task 2): if `module` is an nn.Linear, fill its weight with nn.init.kaiming_normal_
    #   (nonlinearity="relu") or an Xavier variant, and its bias with zeros.
    raise NotImplementedError("Task 2: init_weights")


class MLPClassifier(nn.Module):
    """Flatten, then `len(hidden_dims)` blocks of Linear -> ReLU -> Dropout, then Linear."""

    def __init__(self, hidden_dims: Sequence[int] = (512, 128), dropout: float = 0.1) -> None:
        """Build the layers and initialise them with `init_weights`.

        Args:
            hidden_dims: the width of each hidden layer, input side first; () gives a
                linear classifier.
            dropout: the probability of zeroing a hidden unit during training, in [0, 1).

        Use nn.Linear (with bias) for every affine map and no other layer with parameters.
        """
        super().__init__()
        # TODO (Task 1): build nn.Flatten(), then for each width in hidden_dims
        #   nn.Linear -> nn.ReLU -> nn.Dropout(dropout), then a last nn.Linear to 6 logits
        #   (no ReLU after it); keep them in an nn.Sequential. Then self.apply(init_weights).
        raise NotImplementedError("Task 1: MLPClassifier.__init__")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Score a batch of images.

        Args:
            x: (B, 3, 64, 64) float images with values in [0, 1].

        Returns:
            (B, 6) logits, one row per image.
        """
        # TODO (Task 1): (B, 3, 64, 64) -> (B, 6) through your layers.
        raise NotImplementedError("Task 1: MLPClassifier.forward")
