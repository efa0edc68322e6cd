"""Task 1: ConfusionMatrix, IoU per class, mean IoU and pixel accuracy (20 points).

Every value is compared with a trusted computation in the parent on random, imbalanced
labels and noisy predictions, across several `add` calls, with some unknown (255) labels.
"""

from __future__ import annotations

import math

import torch

from grader.suitekit import expect_number, expect_tensor, number, weight
from grader.suites.hw4.segmentation import (
    IGNORE_INDEX,
    confusion,
    iou,
    mean_iou,
    noisy_predictions,
    pixel_accuracy,
    scene_labels,
)

TOLERANCE = 1e-6


def batches(
    seed: int,
    *,
    unknown: bool = True,
    absent: int | None = None,
    never_predicted: int | None = None,
) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Three (predictions, labels) batches of shape (B, H, W), int64."""
    out = []
    for k, shape in enumerate(((2, 12, 16), (3, 9, 7), (1, 20, 20))):
        labels = scene_labels(shape, seed=seed + k)
        if absent is not None:
            labels[labels == absent] = 0
        predictions = noisy_predictions(labels, keep=0.7, seed=seed + 10 + k)
        if absent is not None:
            predictions[predictions == absent] = 2
        if never_predicted is not None:
            predictions[predictions == never_predicted] = 0
        if unknown:
            gen = torch.Generator().manual_seed(seed + 20 + k)
            labels[torch.rand(shape, generator=gen) < 0.1] = IGNORE_INDEX
        out.append((predictions, labels))
    return out


def filled(student, pairs: list[tuple[torch.Tensor, torch.Tensor]]):
    """The student's ConfusionMatrix(5) after add() of every pair, and the trusted matrix."""
    matrix = student.metrics.ConfusionMatrix(5)
    for predictions, labels in pairs:
        matrix.add(predictions, labels)
    trusted = sum(confusion(p, y) for p, y in pairs)
    return matrix, trusted


@number("1.1")
@weight(6)
def test_confusion_matrix_counts(student):
    """ConfusionMatrix counts [true, predicted] pixels over several batches, skipping 255"""
    matrix, trusted = filled(student, batches(seed=100))
    got = expect_tensor(matrix.matrix, shape=(5, 5), name="ConfusionMatrix.matrix")
    if torch.equal(got.long(), trusted.T):
        raise AssertionError(
            "ConfusionMatrix.matrix is transposed: rows are the true classes, columns the "
            "predicted ones (matrix[true, predicted])"
        )
    counted, expected = int(got.sum()), int(trusted.sum())
    assert counted == expected, (
        f"ConfusionMatrix counted {counted} pixels where {expected} have a known label: count "
        "every pixel of every add() call, except those labelled 255"
    )
    assert torch.equal(got.long(), trusted), (
        "ConfusionMatrix.matrix has the right total but wrong counts: matrix[t, p] should "
        "count the pixels of true class t predicted as class p"
    )


@number("1.2")
@weight(6)
def test_iou_and_mean_iou(student):
    """iou() gives each class's IoU and mean_iou() their average over the classes"""
    matrix, trusted = filled(student, batches(seed=200))
    got = expect_tensor(matrix.iou(), shape=(5,), name="ConfusionMatrix.iou()")
    want = iou(trusted)
    assert torch.allclose(got.double(), want, atol=TOLERANCE), (
        f"iou() returned {[round(v, 3) for v in got.tolist()]}: the IoU of class k is the "
        "pixels right for k divided by the pixels labelled k or predicted k (or both)"
    )
    value = expect_number(matrix.mean_iou(), name="ConfusionMatrix.mean_iou()")
    assert abs(value - mean_iou(trusted)) < TOLERANCE, (
        f"mean_iou() returned {value:.4f}: average the 5 per-class IoUs, each class counting "
        "the same (not a ratio of pixel totals, which the big classes dominate)"
    )


@number("1.3")
@weight(4)
def test_absent_class(student):
    """A class neither labelled nor predicted has no IoU (NaN) and is left out of the mean"""
    # class 3 appears nowhere; class 4 is labelled but never predicted (IoU 0, counted)
    matrix, trusted = filled(student, batches(seed=300, absent=3, never_predicted=4))
    value = expect_number(matrix.mean_iou(), name="ConfusionMatrix.mean_iou()", finite=False)
    assert math.isfinite(value), (
        f"with one class absent from labels and predictions, mean_iou() returned {value}: "
        "the absent class's IoU is NaN (0 / 0); leave it out of the mean"
    )
    assert abs(value - mean_iou(trusted)) < TOLERANCE, (
        f"with one class absent from labels and predictions, mean_iou() returned {value:.4f}: "
        "average only over the classes that have an IoU (an absent class's 0 / 0 is "
        "undefined, not 0, and must not make the mean NaN)"
    )
    got = expect_tensor(matrix.iou(), shape=(5,), finite=False, name="ConfusionMatrix.iou()")
    want = iou(trusted)
    assert bool(got[3].isnan()), (
        "iou() should hold NaN for a class that is neither labelled nor predicted"
    )
    rest = [0, 1, 2, 4]
    assert torch.allclose(got[rest].double(), want[rest], atol=TOLERANCE), (
        "iou() is wrong for the classes that are present (a class labelled but never "
        "predicted has IoU 0)"
    )


@number("1.4")
@weight(4)
def test_pixel_accuracy(student):
    """pixel_accuracy() is the share of labelled pixels predicted right"""
    matrix, trusted = filled(student, batches(seed=400))
    value = expect_number(matrix.pixel_accuracy(), name="ConfusionMatrix.pixel_accuracy()")
    assert abs(value - pixel_accuracy(trusted)) < TOLERANCE, (
        f"pixel_accuracy() returned {value:.4f}: divide the pixels on the diagonal by all "
        "counted pixels (those labelled 255 are not counted)"
    )
    empty = student.metrics.ConfusionMatrix(5)
    value = expect_number(empty.pixel_accuracy(), name="pixel_accuracy() of an empty matrix")
    assert value == 0.0, "pixel_accuracy() of a matrix that counted nothing should be 0"
