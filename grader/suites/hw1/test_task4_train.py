"""Task 4: the training entry point (30 points).

The student's `train.train` runs once, in its own worker, under a time budget written in
reference units (1 unit = 1 s on the course's 2-core reference machine); the module-scoped
`trained` fixture shares the result. Accuracy is computed here in the parent; the worker
only ever sees images.

Why the training split: the course images differ in shape, not colour, so no linear map
of the pixels generalises (a trained LinearClassifier scores near chance on held-out
images; that is Homework 2's motivation). What a linear model can do is fit the images it
was trained on, which shows the training loop works. Held-out accuracy is still measured
and reported, for the student's information.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
import torch
from gradescope_utils.autograder_utils.decorators import number, partial_credit, weight

from grader.checks import expect_tensor
from grader.errors import StudentCodeError
from grader.scoring import band_points
from grader.training import TrainedModel, evaluate_classifier, train_student

BUDGET_UNITS = 30  # the reference uses about half of it
FIT_SAMPLES = 2000  # training images the fit is measured on
# Linear band on training-split accuracy, calibrated with the reference on 3 seeds (see
# tests/homeworks/test_hw1.py): chance is 1/6; the reference lands well above FIT_HIGH.
FIT_LOW, FIT_HIGH = 0.22, 0.30


@pytest.fixture(scope="module")
def trained(grader_session) -> Iterator[TrainedModel]:
    result = train_student(grader_session, budget_units=BUDGET_UNITS)
    yield result
    result.close()


def training_accuracy(trained: TrainedModel) -> float:
    """Accuracy on the first FIT_SAMPLES training images (public labels, read here)."""
    model = trained.require()
    root = trained.data_dir / "images"
    images = np.load(root / "train_images.npy", mmap_mode="r", allow_pickle=False)[:FIT_SAMPLES]
    labels = torch.from_numpy(np.load(root / "train_labels.npy", allow_pickle=False)[:FIT_SAMPLES])
    model.eval()
    predictions = expect_tensor(
        model.predict(torch.from_numpy(np.ascontiguousarray(images)), output="argmax"),
        shape=(len(labels),), dtype=torch.int64, name="predictions",
    )
    return float((predictions == labels.long()).double().mean())


@number("4.1")
@weight(10)
def test_trains_within_budget(trained):
    """train finishes within its time budget and returns a LinearClassifier"""
    model = trained.require()
    assert model.remote_type.endswith(".LinearClassifier"), (
        f"train returned a {model.remote_type}; it should return the trained LinearClassifier"
    )


@number("4.2")
@partial_credit(20)
def test_fits_training_data(trained, set_score, grader_session):
    """The trained model fits its training images (accuracy, linear credit band)"""
    accuracy = training_accuracy(trained)
    set_score(band_points(accuracy, low=FIT_LOW, high=FIT_HIGH, points=20))
    note = f"Task 4: accuracy on training images {accuracy:.3f}"
    try:  # held-out accuracy is for information only: no points depend on it
        held_out = evaluate_classifier(trained, "images", "test")
        note += f", on held-out test images {held_out:.3f} (chance is {1 / 6:.3f})"
    except (FileNotFoundError, StudentCodeError):
        pass  # no hidden labels on this machine, or the model failed on the test images
    grader_session.note(note)
    assert accuracy >= FIT_HIGH, (
        f"accuracy on training images is {accuracy:.3f}, below the threshold for full credit "
        "(credit grows linearly between two thresholds). Train for more epochs within the "
        "budget, or tune the learning rate and its schedule."
    )
