"""Task 1: ConfusionMatrix on a small example you can check by hand."""

from __future__ import annotations

import math

import torch

from hw4.metrics import ConfusionMatrix


def _example() -> ConfusionMatrix:
    """3 classes, one 2x4 image; 255 marks a pixel with no label."""
    labels = torch.tensor([[0, 0, 0, 1], [1, 1, 0, 255]])
    predictions = torch.tensor([[0, 0, 1, 1], [1, 0, 0, 2]])
    matrix = ConfusionMatrix(n_classes=3)
    matrix.add(predictions, labels)
    return matrix


def test_counts() -> None:
    # rows: true class, columns: predicted class; the 255 pixel is not counted
    expected = torch.tensor([[3, 1, 0], [1, 2, 0], [0, 0, 0]])
    assert torch.equal(_example().matrix, expected)


def test_counts_add_up_over_batches() -> None:
    matrix = _example()
    matrix.add(torch.tensor([2, 2]), torch.tensor([2, 0]))
    assert torch.equal(matrix.matrix[2], torch.tensor([0, 0, 1]))
    assert int(matrix.matrix.sum()) == 9


def test_iou_and_mean_iou() -> None:
    matrix = _example()
    iou = matrix.iou()
    # class 0: 3 right / (4 labelled + 4 predicted - 3) = 3 / 5; class 1: 2 / 4;
    # class 2 is neither labelled nor predicted: no IoU (NaN), left out of the mean
    assert math.isclose(iou[0].item(), 3 / 5) and math.isclose(iou[1].item(), 2 / 4)
    assert iou[2].isnan()
    assert math.isclose(matrix.mean_iou(), (3 / 5 + 2 / 4) / 2)


def test_pixel_accuracy() -> None:
    assert math.isclose(_example().pixel_accuracy(), 5 / 7)
    assert ConfusionMatrix(3).pixel_accuracy() == 0.0
