"""Homework 2, public graded suite: `make grade HW=hw2` in the student release.

It runs through the same engine as the hidden suite (your code in a sandboxed worker, the
same time budget for `train`) and gives each task the handout's points, but it checks
fewer cases and scores accuracy on the *validation* split you have. Its total is an
estimate: the hidden suite, with more checks and hidden test data, decides the grade.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from tensorboard.compat.proto import event_pb2

from grader.suitekit import (
    band_points,
    evaluate_classifier,
    expect_image_logits,
    expect_number,
    expect_tensor,
    number,
    partial_credit,
    read_worker_file,
    train_student,
    weight,
)

BUDGET_UNITS = 60  # the same training budget as the hidden suite
# The reference reaches 0.68-0.74 on validation (seeds 0-3; 0.737 with the grader's seed 0);
# a trained linear model (the reference with hidden_dims=()) 0.43-0.48. Chance is 1/6.
VALID_LOW, VALID_HIGH = 0.52, 0.64
TAGS = ("train/loss", "train/accuracy", "valid/accuracy")


def _images(batch: int, seed: int) -> torch.Tensor:
    """(batch, 3, 64, 64) random images with pixels in [0, 1], the same for the same seed."""
    return torch.rand((batch, 3, 64, 64), generator=torch.Generator().manual_seed(seed))


def _logits(model, x: torch.Tensor) -> torch.Tensor:
    return expect_tensor(model(x), shape=(len(x), 6), dtype=torch.float32, name="logits")


def _scalars(log_dir: Path) -> dict[str, list[tuple[int, float]]]:
    """tag -> [(step, value), ...] read back from the TensorBoard event files in log_dir."""
    events = sorted(Path(d) / f for d, _, files in os.walk(log_dir) for f in files)
    curves: dict[str, list[tuple[int, float]]] = {}
    for path in (p for p in events if "tfevents" in p.name):
        data, start = read_worker_file(path, max_bytes=16 << 20, root=log_dir), 0
        while start + 12 <= len(data):  # TFRecord: length (8 bytes), crc, payload, crc
            end = start + 12 + int.from_bytes(data[start : start + 8], "little")
            if end + 4 > len(data):
                break
            event = event_pb2.Event.FromString(data[start + 12 : end])
            for value in event.summary.value:
                number = value.simple_value if value.HasField("simple_value") else math.nan
                curves.setdefault(value.tag, []).append((event.step, number))
            start = end + 4
    return curves


@pytest.fixture(scope="module")
def trained(grader_session):
    run = train_student(grader_session, budget_units=BUDGET_UNITS)
    yield run
    run.close()


@number("1.1")
@partial_credit(12)
def test_mlp_shapes_and_size(student, set_score):
    """Task 1: MLPClassifier gives (B, 6) logits and has only its Linear layers' parameters"""
    for hidden_dims in [(), (24,), (40, 12)]:
        model = student.models.MLPClassifier(hidden_dims=hidden_dims, dropout=0.0)
        for batch in (1, 7):
            _logits(model, _images(batch, seed=batch))
    widths = (3 * 64 * 64, 36, 10, 6)
    want = sum(a * b + b for a, b in zip(widths[:-1], widths[1:], strict=True))
    got = student.models.MLPClassifier(hidden_dims=(36, 10), dropout=0.2).parameter_count()
    set_score(6 + 6 * (got == want))
    assert got == want, (
        f"MLPClassifier((36, 10)) has {got} parameters, expected {want}: one nn.Linear "
        "(with bias) per layer and no other layer with parameters"
    )


@number("1.2")
@partial_credit(16)
def test_mlp_nonlinear_with_dropout(student, set_score):
    """Task 1: MLPClassifier is not affine; dropout is on in train() and off in eval()"""
    model = student.models.MLPClassifier(hidden_dims=(48, 24), dropout=0.0).eval()
    a, b = _images(10, seed=21), _images(10, seed=22)
    gap = (_logits(model, (a + b) / 2) - (_logits(model, a) + _logits(model, b)) / 2).abs()
    nonlinear = gap.max().item() > 1e-4
    model = student.models.MLPClassifier(hidden_dims=(200,), dropout=0.5)
    x = _images(6, seed=23)
    noisy = not torch.equal(_logits(model.train(), x), _logits(model, x))
    steady = _logits(model.eval(), x)
    clean = torch.equal(steady, _logits(model, x))
    clean = clean and torch.allclose(_logits(model, x[2:3])[0], steady[2], atol=1e-5)
    set_score(6 * nonlinear + 4 * noisy + 6 * clean)
    problems = [
        "f((a + b) / 2) equals (f(a) + f(b)) / 2: put a ReLU after each hidden Linear",
        "train() mode gives identical passes with dropout=0.5: add nn.Dropout(dropout)",
        "eval() mode outputs vary (or depend on the rest of the batch): dropout must be off",
    ]
    failed = [text for text, ok in zip(problems, (nonlinear, noisy, clean), strict=True) if not ok]
    if failed and steady.std(dim=0).max().item() == 0:
        failed.insert(0, "the logits are the same for every image: zero weights? (Task 2)")
    assert not failed, "; ".join(failed)


@number("2")
@partial_credit(12)
def test_initialisation(student, set_score):
    """Task 2: a deep MLP's initial logits have a sensible spread and every weight learns"""
    model = student.models.MLPClassifier(hidden_dims=(320, 256, 192, 96), dropout=0.0).eval()
    spread = _logits(model, _images(48, seed=31)).std(dim=0).mean().item()
    small = student.models.MLPClassifier(hidden_dims=(20, 12), dropout=0.0)
    grads = small.gradients(_images(6, seed=32), weights=torch.randn(6, 6)).params
    dead = [n for n, g in grads.items() if g is None or not expect_tensor(g, name=n).any()]
    set_score(6 * (0.05 <= spread <= 5.0) + 6 * (bool(grads) and not dead))
    assert 0.05 <= spread <= 5.0, (
        f"the initial logits' spread is {spread:.3g}, outside [0.05, 5]: initialise each "
        "nn.Linear weight with Kaiming (or Xavier) scaling"
    )
    assert grads and not dead, f"no gradient reaches {', '.join(dead)}: never init weights to 0"


@number("3.1")
@partial_credit(18)
@pytest.mark.timeout(60)  # the first torch.optim optimizer of a process takes seconds
def test_train_one_epoch(student, set_score):
    """Task 3: train_one_epoch takes one SGD step per batch and returns the mean loss"""
    lr, momentum, gen = 0.03, 0.9, torch.Generator().manual_seed(33)
    batches = [
        (_images(8, seed=40 + i), torch.randint(0, 6, (8,), generator=gen)) for i in range(3)
    ]
    model = student.models.MLPClassifier(hidden_dims=(16,), dropout=0.0)
    start = {
        name: torch.randn(t.shape, generator=gen) / (t.shape[-1] if t.dim() else 1) ** 0.5
        for name, t in model.state_dict().items()
    }
    # the expected epoch, with the student's forward as the function: v = mu v + g, w -= lr v
    weights, velocity, losses = dict(start), {k: 0.0 for k in start}, []
    for images, labels in batches:
        model.load_state_dict(weights)
        logits = _logits(model, images).double().requires_grad_()
        loss = F.cross_entropy(logits, labels)
        losses.append(loss.item())
        grads = model.gradients(images, weights=torch.autograd.grad(loss, logits)[0].float())
        for name, grad in grads.params.items():
            if grad is None:  # torch.optim skips a parameter without a gradient (Task 1-2)
                continue
            velocity[name] = momentum * velocity[name] + expect_tensor(grad, name=name)
            weights[name] = weights[name] - lr * velocity[name]
    model.load_state_dict(start)
    optimizer = student.loop.make_optimizer(model.eval(), name="sgd", lr=lr, momentum=momentum)
    mean = expect_number(student.loop.train_one_epoch(model, batches, optimizer), name="mean loss")
    after = model.state_dict()
    steps_ok = all(torch.allclose(after[k], w, rtol=1e-3, atol=1e-5) for k, w in weights.items())
    mean_ok = abs(mean - sum(losses) / len(losses)) < 1e-4
    set_score(14 * steps_ok + 2 * mean_ok + 2 * model.training)
    assert steps_ok, "the weights after the epoch differ from one zero_grad/backward/step per batch"
    assert mean_ok, f"returned {mean:.4g}: return the mean of the batch losses (before each step)"
    assert model.training, "the model is in eval() mode afterwards: call model.train() first"


@number("3.2")
@partial_credit(8)
def test_evaluate(student, set_score):
    """Task 3: evaluate returns the accuracy with dropout off, under no_grad, in eval()"""
    model = student.models.MLPClassifier(hidden_dims=(96,), dropout=0.5).eval()
    images = _images(36, seed=34)
    labels = _logits(model, images).argmax(dim=1)
    labels[::4] = (labels[::4] + 3) % 6  # 9 wrong labels: the accuracy is 27 / 36
    model.train()
    model.record_grad_modes()
    batches = [(images[i : i + 16], labels[i : i + 16]) for i in (0, 16, 32)]
    accuracy = expect_number(student.loop.evaluate(model, batches), name="accuracy")
    correct, in_eval = abs(accuracy - 0.75) < 1e-6, not model.training
    no_graph = not any(model.grad_modes())
    set_score(4 * correct + 2 * in_eval + 2 * no_graph)
    assert correct, (
        f"evaluate returned {accuracy:.4g}, expected 0.75: the fraction (in [0, 1]) of all "
        "examples whose largest logit is the label, after model.eval() (dropout off)"
    )
    assert in_eval, "evaluate must leave the model in eval() mode"
    assert no_graph, "evaluate ran with autograd on: wrap it in torch.no_grad()"


@number("4.1")
@partial_credit(10)
def test_training_logger(student, exchange_dir, set_score):
    """Task 4: TrainingLogger writes the loss per step and both accuracies per epoch"""
    quiet = student.logger.TrainingLogger(None)
    quiet.log_step(0.5)
    quiet.log_epoch(0, 0.2, 0.1)
    quiet.close()
    logger = student.logger.TrainingLogger(str(exchange_dir / "run"))
    for loss in (1.75, 1.5, 1.25, 1.0):
        logger.log_step(loss)
    for epoch, accuracies in enumerate([(0.25, 0.5), (0.375, 0.625)]):
        logger.log_epoch(epoch, *accuracies)
    logger.close()
    curves = _scalars(exchange_dir / "run") if (exchange_dir / "run").is_dir() else {}
    expected = {
        "train/loss": [(0, 1.75), (1, 1.5), (2, 1.25), (3, 1.0)],
        "train/accuracy": [(0, 0.25), (1, 0.375)],
        "valid/accuracy": [(0, 0.5), (1, 0.625)],
    }
    wrong = [tag for tag, want in expected.items() if curves.get(tag) != want]
    set_score(2 + 8 * (not wrong))
    assert not wrong, (
        f"{', '.join(wrong)} not logged as expected (found tags: {', '.join(curves) or 'none'}): "
        "the loss at steps 0, 1, 2, ... and the accuracies at their epoch number"
    )


@number("4.2")
@weight(4)
def test_training_run_logs(trained):
    """Task 4: the training run logs the loss every step and the accuracies every epoch"""
    trained.require()
    curves = _scalars(trained.log_dir)
    missing = [tag for tag in TAGS if tag not in curves]
    assert not missing, (
        f"the training run did not log {', '.join(missing)}: pass log_dir to TrainingLogger "
        "in train, and log after every step and every epoch"
    )
    steps = [step for step, _ in curves["train/loss"]]
    epochs = len(curves["valid/accuracy"])
    assert len(steps) > epochs and steps == sorted(set(steps)), (
        "log train/loss after every optimizer step, at a step count that grows across epochs"
    )
    assert len(curves["train/accuracy"]) == epochs, "log both accuracies once per epoch"
    accuracies = [v for tag in TAGS[1:] for _, v in curves[tag]]
    assert all(0 <= v <= 1 for v in accuracies), "log accuracies as fractions in [0, 1]"


@number("5")
@partial_credit(20)
def test_training_reaches_validation_accuracy(trained, set_score):
    """Task 5: train returns an MLP in its budget; its validation accuracy (linear band)"""
    expect_image_logits(trained.require(), seed=50)
    accuracy = evaluate_classifier(trained, "images", "valid")
    set_score(4 + band_points(accuracy, low=VALID_LOW, high=VALID_HIGH, points=16))
    assert accuracy >= VALID_HIGH, (
        f"validation accuracy {accuracy:.3f}: full credit from {VALID_HIGH} (tune the width, "
        "dropout, learning rate or epochs, and watch valid/accuracy in TensorBoard)"
    )
