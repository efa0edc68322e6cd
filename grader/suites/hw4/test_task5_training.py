"""Task 5: evaluation in eval mode, and training within a CPU time budget (30 points).

The student's `train.train` runs once, in its own worker, under a budget written in
reference units (1 unit = 1 s on the course's 2-core reference machine); the module-scoped
`trained` fixture shares the result. Mean IoU on the hidden test split is computed here in
the parent from the predicted classes: the worker only sees the images.

The credit band starts above what a per-pixel colour classifier reaches on these scenes
(0.31 valid mean IoU at best, datasets/segmentation.md): only a network that uses shape and
context gets credit.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import torch

from grader.suitekit import (
    InvalidValue,
    TrainedModel,
    band_points,
    expect_tensor,
    load_targets,
    number,
    partial_credit,
    predict_split,
    train_student,
    weight,
)
from grader.suites.hw4.segmentation import (
    confusion,
    iou,
    mean_iou,
    scene_labels,
)

BUDGET_UNITS = 180  # the reference uses about 70 units on an idle machine (5 epochs)
# Linear band on hidden-test mean IoU (segmentation v2). The reference (seed 0, 2 threads)
# reaches 0.549, seed 1 0.578; the per-pixel colour classifier tops at 0.31 on valid and an
# untrained FCN 0.05, so credit starts above anything that ignores shape, and
# the reference clears the high end with a margin for other machines and thread counts.
MIOU_LOW, MIOU_HIGH = 0.33, 0.48
MATCH = 0.999  # share of pixels on which evaluate must agree with eval-mode predictions


@dataclass
class Training:
    result: TrainedModel
    returned_training_mode: bool | None  # model.training as train() returned it
    batches_tracked: dict[str, int]  # BatchNorm num_batches_tracked as train() returned it


@pytest.fixture(scope="module")
def trained(grader_session) -> Iterator[Training]:
    result = train_student(grader_session, budget_units=BUDGET_UNITS)
    # Read the mode and buffers before anything else touches the model: evaluation calls eval().
    mode, tracked = None, {}
    if result.model is not None:
        mode = result.model.training
        tracked = {
            k: int(expect_tensor(v, name=k).sum())
            for k, v in result.model.named_buffers().items()
            if k.endswith("num_batches_tracked")
        }
    yield Training(result, mode, tracked)
    result.close()


def scenes(seed: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Two batches (images (4, 3, 32, 48) in [0, 1], masks (4, 32, 48) int64)."""
    gen = torch.Generator().manual_seed(seed)
    return [
        (torch.rand(4, 3, 32, 48, generator=gen), scene_labels((4, 32, 48), seed=seed + k))
        for k in range(2)
    ]


@number("5.1")
@weight(5)
def test_evaluate_in_eval_mode(student):
    """evaluate counts the model's eval-mode predictions in a ConfusionMatrix"""
    model = student.models.FCN().train()
    batches = scenes(seed=110)
    for images, _ in batches:  # move the running statistics off 0 / 1
        model(images)
    state = model.state_dict()
    result = student.train.evaluate(model, batches, "cpu")
    matrix = expect_tensor(result.matrix, shape=(5, 5), name="evaluate(...).matrix").long()
    # The trusted count: the same weights in eval mode, predictions made by the grader.
    model.load_state_dict(state)
    model.eval()
    images = torch.cat([b[0] for b in batches])
    masks = torch.cat([b[1] for b in batches])
    predictions = model.predict(images, batch_size=4, output="argmax")
    predictions = expect_tensor(
        predictions, shape=tuple(masks.shape), dtype=torch.int64, name="predictions"
    )
    want = confusion(predictions, masks)
    if int(matrix.sum()) != int(want.sum()):
        raise InvalidValue(
            f"evaluate counted {int(matrix.sum())} pixels, expected {int(want.sum())}: one "
            "prediction per pixel, the argmax over the class dimension (dim=1)"
        )
    agree = 1 - (matrix - want).abs().sum().item() / 2 / want.sum().item()
    assert agree >= MATCH, (
        f"evaluate's confusion matrix matches the model's eval-mode predictions on only "
        f"{agree:.1%} of the pixels: call model.eval() first (BatchNorm then uses its running "
        "statistics) and take the argmax over the class dimension"
    )


@number("5.2")
@weight(3)
def test_returns_an_fcn(trained):
    """train finishes within its time budget and returns an FCN"""
    model = trained.result.require()
    assert model.remote_type.endswith(".FCN"), (
        f"train returned a {model.remote_type}; it should return the trained FCN"
    )


@number("5.3")
@weight(2)
def test_returned_in_eval_mode(trained):
    """train returns the model in eval mode (BatchNorm uses its running statistics)"""
    trained.result.require()
    assert trained.returned_training_mode is False, (
        "train returned the model in train mode: call model.eval() before returning it, so "
        "BatchNorm uses its running statistics and not those of whatever batch it is given"
    )


@number("5.4")
@weight(2)
def test_trained_in_train_mode(trained):
    """BatchNorm was in train mode during training (its running statistics were updated)"""
    trained.result.require()
    tracked = trained.batches_tracked
    assert tracked, (
        "the trained FCN has no BatchNorm running statistics: use nn.BatchNorm2d(channels) "
        "with its defaults"
    )
    assert min(tracked.values()) > 0, (
        "the trained FCN's BatchNorm layers never updated their running statistics: call "
        "model.train() before each training epoch (evaluate puts the model in eval mode)"
    )


@number("5.5")
@partial_credit(18)
def test_test_mean_iou(trained, set_score, grader_session, record_property):
    """The trained FCN segments held-out test scenes (mean IoU, linear credit band)"""
    result = trained.result
    result.require(record_property)
    masks = torch.from_numpy(load_targets(result, "segmentation", "test")).long()
    predictions = predict_split(result, "segmentation", "test", output="argmax", batch_size=50)
    predictions = expect_tensor(
        predictions,
        shape=tuple(masks.shape),
        dtype=torch.int64,
        name="predicted classes of the test scenes",
    )
    if bool(((predictions < 0) | (predictions > 4)).any()):
        raise InvalidValue("the FCN predicted class indices outside 0..4: it needs 5 outputs")
    matrix = confusion(predictions, masks)
    value = mean_iou(matrix)
    record_property("mean_iou", round(value, 4))  # the leaderboard's value
    set_score(band_points(value, low=MIOU_LOW, high=MIOU_HIGH, points=18))
    record_property("test_iou_per_class", [round(v, 4) for v in iou(matrix).tolist()])
    per_class = " ".join(f"{v:.2f}" for v in iou(matrix).tolist())
    stats = result.stats
    grader_session.note(
        f"Task 5: mean IoU on held-out test scenes {value:.3f} (IoU per class {per_class}); "
        f"training took {stats.time_used_s or 0:.0f} s of {stats.budget_s:.0f} s"
    )
    assert value >= MIOU_HIGH, (
        f"mean IoU on held-out test scenes is {value:.3f}; full credit needs {MIOU_HIGH:.2f} "
        f"(credit starts at {MIOU_LOW:.2f}). Check the valid mean IoU per class in your "
        "train_log.txt: a class stuck at 0 needs more weight; then tune epochs or lr"
    )
