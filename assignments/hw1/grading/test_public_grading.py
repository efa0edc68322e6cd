"""Homework 1, public graded suite: `make grade HW=hw1` in the student release.

It runs through the same engine as the hidden suite (your code in a sandboxed worker, the
same time budget for `train`) and gives each task the handout's points, but it checks
fewer cases and scores accuracy on the *validation* split you have. Its total is an
estimate: the hidden suite, with more checks and hidden test data, decides the grade.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from grader.suitekit import (
    band_points,
    evaluate_classifier,
    expect_image_logits,
    expect_int,
    expect_number,
    expect_tensor,
    number,
    partial_credit,
    train_student,
    weight,
)

PARAMETERS = 3 * 64 * 64 * 6 + 6
BUDGET_UNITS = 30  # the same training budget as the hidden suite
VALID_LOW, VALID_HIGH = 0.30, 0.38  # the reference reaches 0.41-0.53 on validation


def _images(batch: int, seed: int) -> torch.Tensor:
    """(B, 3, 64, 64) values in [0, 1), the same for the same seed."""
    gen = torch.Generator().manual_seed(seed)
    return torch.rand((batch, 3, 64, 64), generator=gen)


@number("1")
@partial_credit(20)
def test_regression_fits_a_line(student, set_score):
    """Task 1: fit_linear_regression recovers w and b of a small noiseless problem"""
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(64, 3, generator=gen)  # (N, D)
    w_true, b_true = torch.tensor([1.5, -2.0, 0.5]), torch.tensor(0.25)
    w, b, losses = student.regression.fit_linear_regression(
        x, x @ w_true + b_true, lr=0.1, steps=300
    )
    w = expect_tensor(w, shape=(3,), dtype=torch.float32, name="w")
    b = expect_tensor(b, shape=(), dtype=torch.float32, name="b")
    curve = [expect_number(v, name="loss") for v in losses]
    points = 5.0 * (len(curve) == 300) + 5.0 * (curve[-1] < curve[0])
    points += 10.0 * bool(torch.allclose(w, w_true, atol=1e-2) and abs(b - b_true) < 1e-2)
    set_score(points)
    assert points == 20, (
        f"w={w.tolist()}, b={b.item():.3f} (expected {w_true.tolist()}, 0.25), "
        f"{len(curve)} losses for 300 steps, first {curve[0]:.3g}, last {curve[-1]:.3g}"
    )


@number("2")
@weight(20)
def test_classifier_shape_and_size(student):
    """Task 2: LinearClassifier maps (B, 3, 64, 64) images to (B, 6) logits"""
    model = student.models.LinearClassifier()
    for batch in (1, 5):
        expect_tensor(model(_images(batch, seed=batch)), shape=(batch, 6), name="logits")
    count = expect_int(model.parameter_count(), name="parameter count")
    assert count == PARAMETERS, f"{count} parameters, expected {PARAMETERS} (weights and biases)"


@number("3")
@partial_credit(20)
def test_loss_matches_cross_entropy(student, set_score):
    """Task 3: ClassificationLoss equals cross-entropy, also for large logits"""
    loss_fn = student.losses.ClassificationLoss()
    gen = torch.Generator().manual_seed(3)
    points = 0.0
    for scale in (1.0, 500.0):  # 500: exp() overflows unless the max is subtracted
        logits = torch.randn(8, 6, generator=gen) * scale
        target = torch.randint(0, 6, (8,), generator=gen)
        got = expect_tensor(loss_fn(logits, target), shape=(), name="loss", finite=False)
        want = F.cross_entropy(logits.double(), target).float()
        points += 10.0 * bool(torch.isfinite(got) and torch.allclose(got, want, rtol=1e-4))
    set_score(points)
    assert points == 20, "the loss differs from cross-entropy (or is not finite) on some logits"


@number("4")
@partial_credit(30)
def test_training_reaches_validation_accuracy(student, grader_session, set_score):
    """Task 4: train returns a classifier; its validation accuracy (linear band)"""
    trained = train_student(grader_session, budget_units=BUDGET_UNITS)
    try:
        model = trained.require()
        expect_image_logits(model, seed=40)
        accuracy = evaluate_classifier(trained, "images", "valid")
    finally:
        trained.close()
    set_score(10 + band_points(accuracy, low=VALID_LOW, high=VALID_HIGH, points=20))
    assert accuracy >= VALID_HIGH, (
        f"validation accuracy {accuracy:.3f}: full credit from {VALID_HIGH} "
        "(train longer within the budget, or tune the learning rate)"
    )


@number("5")
@weight(10)
def test_saved_model_loads_in_a_fresh_process(student, grader_session, exchange_dir):
    """Task 5: load_model in a fresh process gives the saved model's outputs"""
    path = exchange_dir / "public.th"
    model = student.models.LinearClassifier().eval()
    student.utils.save_model(model, str(path))
    probe = _images(3, seed=5)
    before = expect_tensor(model(probe), shape=(3, 6), name="logits")
    with grader_session.spawn() as fresh:
        after = expect_tensor(fresh.utils.load_model(str(path))(probe), shape=(3, 6), name="logits")
    assert torch.equal(before, after), "the loaded model's outputs differ from the saved model's"
