"""Task 1: the confusion matrix of a segmentation, and the metrics read from it.

Rows are the true classes, columns the predicted ones: matrix[t, p] counts the pixels of
class t that were predicted as p. Every metric of this homework comes from this matrix.
"""

from __future__ import annotations

import torch


class ConfusionMatrix:
    """Accumulates (prediction, label) pixel counts over many batches.

    Pixels whose label is `ignore_index` (unknown) are not counted.
    """

    def __init__(self, n_classes: int = 5, ignore_index: int = 255) -> None:
        self.n_classes = n_classes
        self.ignore_index = ignore_index
        # TODO (Task 1): self.matrix, an int64 tensor of zeros of shape (n_classes, n_classes):
        #   rows are the true classes, columns the predicted ones.
        raise NotImplementedError("Task 1: ConfusionMatrix.__init__")

    def add(self, predictions: torch.Tensor, labels: torch.Tensor) -> None:
        """Count a batch: predictions and labels hold class indices of the same shape,
        e.g. (B, H, W); predictions are argmax class indices, not logits."""
        # TODO (Task 1): keep the pixels whose label is not ignore_index (a boolean mask),
        #   flatten both, and add one to matrix[true, predicted] for every pixel. Fast way:
        #   torch.bincount(true * n_classes + predicted, minlength=n_classes ** 2), reshaped
        #   to (n_classes, n_classes). Move both to the CPU first, like self.matrix.
        raise NotImplementedError("Task 1: ConfusionMatrix.add")

    def iou(self) -> torch.Tensor:
        """IoU per class, float64 (K,): true positives / (true + predicted - true positives).

        A class that is neither in the labels nor in the predictions has no IoU: NaN.
        """
        # TODO (Task 1): in float64, hits = the diagonal (K,); union = row sums + column
        #   sums - hits (K,). IoU = hits / union where union > 0 and NaN where union is 0
        #   (torch.where(condition, value, torch.nan)).
        raise NotImplementedError("Task 1: ConfusionMatrix.iou")

    def mean_iou(self) -> float:
        """The IoU averaged over classes (classes without an IoU left out); 0 if none."""
        # TODO (Task 1): the mean of the IoUs that are not NaN (tensor.isnan()), as a float.
        raise NotImplementedError("Task 1: ConfusionMatrix.mean_iou")

    def pixel_accuracy(self) -> float:
        """The share of counted pixels predicted right; 0 if none were counted."""
        # TODO (Task 1): the diagonal's sum over the total, as a float (0.0 for an empty matrix).
        raise NotImplementedError("Task 1: ConfusionMatrix.pixel_accuracy")
