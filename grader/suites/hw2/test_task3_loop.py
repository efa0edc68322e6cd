"""Homework 2, Task 3: train_one_epoch and evaluate (hidden suite).

The loop test runs the student's train_one_epoch on a tiny MLP with fixed weights and a
fixed list of batches, and compares the parameters it leaves with a reference epoch the
parent computes itself: the student's own forward pass gives the logits and, through
`RemoteModule.gradients`, the gradient of the mean cross-entropy; the SGD-with-momentum
update is applied here, in trusted code.
"""

from __future__ import annotations

import pytest
import torch
from torch.nn import functional as F

from grader.suitekit import (
    RemoteModule,
    RemotePackage,
    expect_epoch_mean_loss,
    expect_epoch_parameters,
    expect_number,
    expect_tensor,
    number,
    weight,
)

NUM_CLASSES = 6
HIDDEN_DIMS = (16,)
BATCHES, BATCH_SIZE = 4, 8  # equal sizes: a per-batch and a per-sample mean agree
LR, MOMENTUM = 0.05, 0.9
# building the first torch.optim optimizer in a process imports torch._dynamo (seconds)
OPTIMIZER_TIMEOUT_S = 60
Batch = tuple[torch.Tensor, torch.Tensor]  # images (B, 3, 64, 64), labels (B,)


def _batches(seed: int) -> list[Batch]:
    g = torch.Generator().manual_seed(seed)
    return [
        (
            torch.rand(BATCH_SIZE, 3, 64, 64, generator=g),
            torch.randint(0, NUM_CLASSES, (BATCH_SIZE,), generator=g),
        )
        for _ in range(BATCHES)
    ]


def _fixed_state(model: RemoteModule, seed: int) -> dict[str, torch.Tensor]:
    """The model's state_dict with every floating tensor redrawn from `seed` (small normal)."""
    g = torch.Generator().manual_seed(seed)
    state = {}
    for name, value in model.state_dict().items():
        value = expect_tensor(value, name=f"state_dict()[{name!r}]")
        if value.is_floating_point():
            fan_in = value.shape[1] if value.dim() == 2 else 1
            value = torch.randn(value.shape, generator=g) * (2.0 / fan_in) ** 0.5
        state[name] = value
    return state


def _reference_epoch(
    model: RemoteModule, state: dict[str, torch.Tensor], batches: list[Batch]
) -> tuple[dict[str, torch.Tensor], float]:
    """Parameters after one SGD-with-momentum epoch from `state`, and the mean batch loss.

    `model` is a student MLPClassifier used only as a differentiable function: its forward
    gives the logits, `gradients` the parameter gradients of sum(logits * dL/dlogits).
    """
    model.load_state_dict(state)
    params = {
        name: torch.nn.Parameter(value.clone()) for name, value in model.named_parameters().items()
    }
    optimizer = torch.optim.SGD(params.values(), lr=LR, momentum=MOMENTUM)
    losses = []
    for images, labels in batches:
        logits = (
            expect_tensor(
                model(images), shape=(BATCH_SIZE, NUM_CLASSES), name="MLPClassifier output"
            )
            .double()
            .requires_grad_(True)
        )
        loss = F.cross_entropy(logits, labels)
        (dlogits,) = torch.autograd.grad(loss, logits)  # (B, 6): (softmax - onehot) / B
        grads = model.gradients(images, weights=dlogits.float()).params
        for name, param in params.items():
            grad = grads.get(name)
            assert grad is not None, f"parameter {name} received no gradient"
            param.grad = expect_tensor(grad, shape=param.shape, name=f"gradient of {name}")
        optimizer.step()
        optimizer.zero_grad()
        losses.append(loss.item())
        model.load_state_dict({**state, **{k: p.detach() for k, p in params.items()}})
    return {k: p.detach() for k, p in params.items()}, sum(losses) / len(losses)


def _run_student_epoch(
    student: RemotePackage, state: dict[str, torch.Tensor], batches: list[Batch]
) -> tuple[RemoteModule, object]:
    model = student.models.MLPClassifier(hidden_dims=HIDDEN_DIMS, dropout=0.0)
    model.load_state_dict(state)
    model.eval()  # train_one_epoch must switch it back to train mode
    optimizer = student.loop.make_optimizer(model, name="sgd", lr=LR, momentum=MOMENTUM)
    mean_loss = student.loop.train_one_epoch(model, batches, optimizer)
    return model, mean_loss


@number("3.1")
@pytest.mark.timeout(OPTIMIZER_TIMEOUT_S)
@weight(14)
def test_train_one_epoch_matches_reference(student: RemotePackage) -> None:
    """train_one_epoch makes one zero_grad / backward / step per batch, like a reference epoch"""
    batches = _batches(seed=11)
    reference_model = student.models.MLPClassifier(hidden_dims=HIDDEN_DIMS, dropout=0.0)
    state = _fixed_state(reference_model, seed=12)
    expected, _ = _reference_epoch(reference_model, state, batches)
    model, _ = _run_student_epoch(student, state, batches)
    expect_epoch_parameters(
        model,
        expected,
        state,
        hint="expected exactly one optimizer.zero_grad(), loss.backward() and "
        "optimizer.step() per batch, in the loader's order, on the batch's mean loss",
    )


@number("3.2")
@pytest.mark.timeout(OPTIMIZER_TIMEOUT_S)
@weight(4)
def test_train_one_epoch_returns_mean_loss(student: RemotePackage) -> None:
    """train_one_epoch trains in train() mode and returns the mean of the batch losses"""
    batches = _batches(seed=13)
    reference_model = student.models.MLPClassifier(hidden_dims=HIDDEN_DIMS, dropout=0.0)
    state = _fixed_state(reference_model, seed=14)
    _, expected = _reference_epoch(reference_model, state, batches)
    model, mean_loss = _run_student_epoch(student, state, batches)
    expect_epoch_mean_loss(model, mean_loss, expected)


@number("3.3")
@weight(8)
def test_evaluate(student: RemotePackage) -> None:
    """evaluate returns the accuracy in eval() mode, without a graph, and stays in eval()"""
    model = student.models.MLPClassifier(hidden_dims=(128,), dropout=0.5).eval()
    g = torch.Generator().manual_seed(15)
    images = torch.rand(40, 3, 64, 64, generator=g)
    predicted = expect_tensor(
        model.predict(images, output="argmax"), shape=(40,), dtype=torch.int64, name="predictions"
    )
    # labels: the model's own eval-mode answer for the first 25 images, wrong for the rest
    labels = predicted.clone()
    offset = 1 + torch.randint(0, NUM_CLASSES - 1, (15,), generator=g)  # never 0 mod 6
    labels[25:] = (predicted[25:] + offset) % NUM_CLASSES
    shuffle = torch.randperm(40, generator=g)
    images, labels = images[shuffle], labels[shuffle]
    batches = [(images[i : i + 16], labels[i : i + 16]) for i in range(0, 40, 16)]  # 16, 16, 8
    model.train()
    model.record_grad_modes()
    accuracy = expect_number(student.loop.evaluate(model, batches), name="evaluate's return value")
    assert not model.training, "evaluate must switch the model to eval() mode and leave it there"
    assert not any(model.grad_modes()), (
        "evaluate ran the model with autograd on: wrap the loop in torch.no_grad() so no graph "
        "is built"
    )
    assert abs(accuracy - 25 / 40) < 1e-6, (
        f"evaluate returned {accuracy:.4g}: expected the fraction (in [0, 1]) of all examples "
        "whose largest logit is the label, counted over every batch, with dropout off"
    )
