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
        self.matrix = torch.zeros(n_classes, n_classes, dtype=torch.int64)  # (true, predicted)

    def add(self, predictions: torch.Tensor, labels: torch.Tensor) -> None:
        """Count a batch: predictions and labels hold class indices of the same shape,
        e.g. (B, H, W); predictions are argmax class indices, not logits."""
        truth, guess = labels.long().cpu(), predictions.long().cpu()  # e.g. (B, H, W)
        keep = truth != self.ignore_index  # the labelled pixels
        # Each (true, predicted) pair gets its own index true * K + predicted; bincount
        # counts all of them in one pass.
        pairs = truth[keep] * self.n_classes + guess[keep]  # (P,)
        counts = torch.bincount(pairs, minlength=self.n_classes**2)
        self.matrix += counts.reshape(self.n_classes, self.n_classes)

    def iou(self) -> torch.Tensor:
        """IoU per class, float64 (K,): true positives / (true + predicted - true positives).

        A class that is neither in the labels nor in the predictions has no IoU: NaN.
        """
        m = self.matrix.double()
        hits = m.diag()  # (K,) pixels of class k predicted as k
        union = m.sum(dim=1) + m.sum(dim=0) - hits  # (K,) labelled k or predicted k
        return torch.where(union > 0, hits / union.clamp(min=1), torch.nan)

    def mean_iou(self) -> float:
        """The IoU averaged over classes (classes without an IoU left out); 0 if none."""
        iou = self.iou()
        present = iou[~iou.isnan()]
        return float(present.mean()) if len(present) else 0.0

    def pixel_accuracy(self) -> float:
        """The share of counted pixels predicted right; 0 if none were counted."""
        total = int(self.matrix.sum())
        return float(self.matrix.diag().sum()) / total if total else 0.0
