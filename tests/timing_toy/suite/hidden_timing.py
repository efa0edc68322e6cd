"""Hidden suite of the timing toy (copied to test_timing.py by make_toy)."""

import pytest
import torch
from gradescope_utils.autograder_utils.decorators import number, partial_credit, weight

from grader.scoring import band_points
from grader.training import evaluate_classifier, train_student

BUDGET_UNITS = 1.5


@pytest.fixture(scope="module")
def trained(grader_session):
    result = train_student(grader_session, budget_units=BUDGET_UNITS)
    yield result
    result.close()


@number("1.1")
@weight(2)
def test_trains_in_budget(trained, record_property):
    """training finishes within its budget"""
    trained.require(record_property)


@number("1.2")
@partial_credit(2)
def test_accuracy(trained, set_score):
    """test accuracy"""
    accuracy = evaluate_classifier(trained)
    set_score(band_points(accuracy, low=0.5, high=0.9, points=2))


@number("1.3")
@weight(1)
def test_log_written(trained):
    """training wrote its log"""
    trained.require()
    assert (trained.log_dir / "log.txt").is_file(), "train() wrote no log.txt into log_dir"


@number("1.4")
@weight(1)
def test_model_shape(student):
    """the model gives one logit per class"""
    y = student.train.make_model()(torch.rand(2, 3, 64, 64))
    assert tuple(y.shape) == (2, 3), f"make_model() gives shape {tuple(y.shape)}, expected (2, 3)"
