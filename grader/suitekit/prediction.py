"""`predict`: a trained model's class predictions on a split, for any dataset.

`predict_split` sends the inputs to the worker and brings back what the model returns
(its time is charged to evaluation); here the class is taken in the parent, along the
dimension the task puts classes on: dim 1 for images (B, C) and segmentation masks
(B, C, H, W), dim -1 for next-token logits (B, T, V).
"""

from __future__ import annotations

import torch

from grader.errors import InvalidValue
from grader.training import TrainedModel, predict_split

PIXEL_SCALE = 1 / 255  # uint8 pixels -> [0, 1]


def predict(
    trained: TrainedModel,
    dataset: str = "images",
    split: str = "test",
    *,
    class_dim: int = 1,
    scale: float = PIXEL_SCALE,
    batch_size: int = 256,
) -> torch.Tensor:
    """int64 class indices: argmax over `class_dim` of the model's logits on the split.

    `scale` multiplies uint8 inputs in the worker (pixels); token ids must reach the
    model unscaled, so a token dataset goes through the suite's own helpers instead.
    """
    logits = predict_split(
        trained, dataset, split, output="logits", batch_size=batch_size, scale=scale
    )
    if not logits.is_floating_point() or logits.ndim < 2:
        raise InvalidValue(
            f"the model returned {logits.dtype} of shape {tuple(logits.shape)}, expected "
            "floating-point logits with a class dimension"
        )
    try:
        return logits.argmax(dim=class_dim)
    except IndexError:
        raise InvalidValue(
            f"the model's logits have shape {tuple(logits.shape)}: no class dimension {class_dim}"
        ) from None
