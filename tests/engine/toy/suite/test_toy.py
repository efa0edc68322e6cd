"""Hidden suite of the toy homework: exercises every scoring feature of the engine."""

import pytest
import torch
from gradescope_utils.autograder_utils.decorators import (
    hide_errors,
    leaderboard,
    number,
    partial_credit,
    tags,
    visibility,
    weight,
)

from grader.checks import expect_int, expect_tensor
from grader.scoring import band_points

pytestmark = pytest.mark.timeout(4)


@number("1.1")
@weight(2)
@tags("task1")
def test_scaled_sum_values(student):
    """scaled_sum matches the reference"""
    x = torch.randn(5, 3)
    y = expect_tensor(
        student.models.scaled_sum(x, 2.5), shape=(5,), dtype=torch.float32, name="scaled_sum output"
    )
    assert torch.allclose(y, 2.5 * x.sum(dim=1), atol=1e-5), "scaled_sum returns wrong values"


@number("1.2")
@partial_credit(4)
def test_scaled_sum_partial(student, set_score=None):
    """scaled_sum is right for several scales"""
    right = 0
    scales = (0.5, 1.0, 2.0, -3.0)
    for scale in scales:
        x = torch.randn(4, 6)
        y = expect_tensor(student.models.scaled_sum(x, scale), shape=(4,), name="scaled_sum output")
        right += bool(torch.allclose(y, scale * x.sum(dim=1), atol=1e-5))
    set_score(band_points(right / len(scales), low=0.0, high=1.0, points=4))
    assert right == len(scales), f"{right} of {len(scales)} scales right"


@number("2.1")
@weight(2)
@tags("task2")
def test_linear_shape(student):
    """LinearClassifier returns (B, 3) logits"""
    model = student.models.LinearClassifier()
    for b in (1, 7):
        expect_tensor(
            model(torch.rand(b, 4)),
            shape=(b, 3),
            dtype=torch.float32,
            name="LinearClassifier output",
        )


@number("2.2")
@weight(1)
def test_linear_parameters(student):
    """LinearClassifier has one Linear layer with 15 parameters"""
    model = student.models.LinearClassifier()
    count = expect_int(model.parameter_count(), name="parameter count")
    assert model.has_submodule("Linear"), "no nn.Linear layer found"
    assert count == 15, f"expected 15 parameters, found {count}"


@weight(1)
def test_linear_gradients(student):
    """gradients reach the input"""
    model = student.models.LinearClassifier()
    grads = model.gradients(torch.rand(3, 4))
    weight_sum = model.named_parameters()["fc.weight"].sum(dim=0)
    assert grads.inputs[0] is not None, "no gradient reached the input"
    assert torch.allclose(grads.inputs[0], weight_sum.expand(3, 4), atol=1e-5), (
        "wrong input gradient"
    )


@weight(1)
@visibility("hidden")
@hide_errors("the hidden check failed")
def test_hidden_check(student):
    """a hidden check on large inputs"""
    x = torch.randn(64, 10)
    y = expect_tensor(student.models.scaled_sum(x, 1.0), shape=(64,), name="scaled_sum output")
    assert torch.allclose(y, x.sum(dim=1), atol=1e-4), "wrong on large inputs"


@number("3.1")
@weight(1)
@leaderboard("accuracy")
def test_accuracy_leaderboard(student, set_leaderboard_value=None):
    """accuracy on a toy problem goes to the leaderboard"""
    model = student.models.LinearClassifier()
    x = torch.rand(50, 4)
    predictions = expect_tensor(
        model.predict(x, output="argmax"), shape=(50,), dtype=torch.int64, name="predictions"
    )
    labels = torch.zeros(50, dtype=torch.int64)
    set_leaderboard_value(round(float((predictions == labels).float().mean()), 4))


@number("4.1")
@weight(1)
def test_spawned_worker(grader_session, exchange_dir, student, record_property):
    """a second worker, an exchange folder, a note and extra data"""
    assert exchange_dir.is_dir(), "no exchange folder"
    with grader_session.spawn() as other:
        y = other.models.scaled_sum(torch.ones(1, 2), 1.0)
    expect_tensor(y, shape=(1,), name="scaled_sum output")
    grader_session.note("toy note: a second worker answered")
    record_property("second_worker", "answered")
