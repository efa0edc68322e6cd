"""`predict`: a trained model's class predictions on a split, for any dataset;
`expect_image_logits`: what a trained image classifier does, whatever its class is called.

`predict_split` sends the inputs to the worker and brings back what the model returns
(its time is charged to evaluation); here the class is taken in the parent, along the
dimension the task puts classes on: dim 1 for images (B, C) and segmentation masks
(B, C, H, W), dim -1 for next-token logits (B, T, V).
"""

from __future__ import annotations

import torch

from grader.checks import expect_tensor
from grader.engine.remote import RemoteModule
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


def expect_image_logits(model: RemoteModule, *, seed: int, n_classes: int = 6) -> torch.Tensor:
    """A batch of 4 random 3x64x64 images in, (4, n_classes) float32 logits out: the check
    that `train` returned a classifier, by behaviour rather than by class name.

    The model is put in eval mode first, as evaluation does anyway, so a BatchNorm the
    student added keeps its running statistics (the mode `train` returned it in must be
    read before this, where a suite scores it)."""
    model.eval()
    images = torch.rand(4, 3, 64, 64, generator=torch.Generator().manual_seed(seed))
    return expect_tensor(
        model(images),
        shape=(4, n_classes),
        dtype=torch.float32,
        name=f"the output of the {model.remote_type} that train returned",
    )
