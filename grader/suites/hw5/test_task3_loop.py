"""Homework 5, Task 3: train_one_epoch with gradient-norm clipping (hidden suite, 16 points).

The student's train_one_epoch runs on a small CharRNN with fixed weights and a fixed list
of batches; the parameters it leaves are compared with a reference epoch computed here.
The reference uses the student's own forward pass (logits, and through
`RemoteModule.gradients` the parameter gradients of the mean next-character NLL); the
loss, the clipping and the SGD-with-momentum update are computed in trusted code.
"""

from __future__ import annotations

import math

import pytest
import torch

from grader.suitekit import (
    GraderSideFailure,
    RemoteModule,
    RemotePackage,
    expect_epoch_mean_loss,
    expect_epoch_parameters,
    expect_tensor,
    number,
    weight,
)
from grader.suites.hw5.lm import char_nll, fixed_state, logits_of, random_tokens

BATCHES, BATCH_SIZE, LENGTH = 4, 6, 12
LR, MOMENTUM = 0.2, 0.9
# clip norms are set from the reference's own gradient norms, so that whatever the scale of
# the student's model: tight clips every step (norms > 2 * clip), loose none (clip > 10 * norm)
TIGHT_FACTOR, LOOSE_FACTOR, TIGHT_TRIES = 4.0, 10.0, 3
# building the first torch.optim optimizer in a process imports torch._dynamo (seconds)
OPTIMIZER_TIMEOUT_S = 60


def _batches(seed: int) -> list[torch.Tensor]:
    return [random_tokens(BATCH_SIZE, LENGTH, seed=seed + i) for i in range(BATCHES)]


def _new_model(student: RemotePackage) -> RemoteModule:
    return student.models.CharRNN(embed_dim=8, hidden_dim=16, cell="gru", dropout=0.0)


def _reference_epoch(
    model: RemoteModule,
    state: dict[str, torch.Tensor],
    batches: list[torch.Tensor],
    clip_norm: float,
) -> tuple[dict[str, torch.Tensor], float, list[float]]:
    """Parameters after one clipped SGD-with-momentum epoch from `state`, the mean batch
    loss, and each step's gradient norm before clipping."""
    model.load_state_dict(state)
    model.train()
    params = {
        name: torch.nn.Parameter(expect_tensor(value, name=f"parameter {name}").clone())
        for name, value in model.named_parameters().items()
    }
    optimizer = torch.optim.SGD(params.values(), lr=LR, momentum=MOMENTUM)
    losses, norms = [], []
    for tokens in batches:
        logits = logits_of(model(tokens), BATCH_SIZE, LENGTH, "CharRNN output")
        logits = logits.double().requires_grad_(True)
        loss = char_nll(logits, tokens).mean()
        (dlogits,) = torch.autograd.grad(loss, logits)  # (B, L, V)
        returned = model.gradients(tokens, weights=dlogits.float()).params
        grads = {}
        for name, param in params.items():
            grad = returned.get(name)
            assert grad is not None, f"parameter {name} received no gradient"
            grads[name] = expect_tensor(grad, shape=param.shape, name=f"gradient of {name}")
        norm = math.sqrt(sum(float((g.double() ** 2).sum()) for g in grads.values()))
        scale = min(1.0, clip_norm / (norm + 1e-6))  # as torch.nn.utils.clip_grad_norm_
        for name, param in params.items():
            param.grad = grads[name] * scale
        optimizer.step()
        optimizer.zero_grad()
        losses.append(loss.item())
        norms.append(norm)
        model.load_state_dict({**state, **{k: p.detach() for k, p in params.items()}})
    return {k: p.detach() for k, p in params.items()}, sum(losses) / len(losses), norms


def _student_epoch(
    student: RemotePackage,
    state: dict[str, torch.Tensor],
    batches: list[torch.Tensor],
    clip_norm: float,
) -> tuple[RemoteModule, object]:
    model = _new_model(student)
    model.load_state_dict(state)
    model.eval()  # train_one_epoch must switch it back to train mode
    optimizer = student.loop.make_optimizer(model, name="sgd", lr=LR, momentum=MOMENTUM)
    mean_loss = student.loop.train_one_epoch(model, batches, optimizer, clip_norm=clip_norm)
    return model, mean_loss


def _clip_norm(
    reference: RemoteModule,
    state: dict[str, torch.Tensor],
    batches: list[torch.Tensor],
    tight: bool,
) -> float:
    """A clip norm below every step's gradient norm (tight) or far above all (loose)."""
    _, _, norms = _reference_epoch(reference, state, batches, math.inf)
    if not tight:
        return LOOSE_FACTOR * max(norms)  # no step clipped: the unclipped norms stay exact
    clip = min(norms) / TIGHT_FACTOR
    for _ in range(TIGHT_TRIES):  # clipped steps move less, so the norms change a little
        _, _, norms = _reference_epoch(reference, state, batches, clip)
        if min(norms) > 2 * clip:
            return clip
        clip = min(norms) / TIGHT_FACTOR
    raise GraderSideFailure(
        "the grader could not find a clip norm below every gradient norm of your model on "
        "this test's batches, so it cannot check clipping; please tell the course staff"
    )


def _compare(student: RemotePackage, seed: int, tight: bool, hint: str) -> None:
    """Run both epochs with a tight or loose clip norm and assert the parameters agree."""
    batches = _batches(seed)
    reference = _new_model(student)
    state = fixed_state(reference, seed=seed + 100)
    clip_norm = _clip_norm(reference, state, batches, tight)
    expected, _, _ = _reference_epoch(reference, state, batches, clip_norm)
    model, _ = _student_epoch(student, state, batches, clip_norm)
    expect_epoch_parameters(model, expected, state, hint)


@number("3.1")
@pytest.mark.timeout(OPTIMIZER_TIMEOUT_S)
@weight(10)
def test_clipped_epoch_matches_reference(student: RemotePackage) -> None:
    """train_one_epoch clips the gradient norm between backward() and step(), like a reference"""
    _compare(
        student,
        seed=31,
        tight=True,
        hint=(
            "expected one zero_grad(), loss.backward(), clip_grad_norm_(parameters, clip_norm) "
            "and optimizer.step() per batch, in that order, on next_char_loss of the batch. "
            "Clipping rescales the gradient of all parameters together (its norm, not each value)"
        ),
    )


@number("3.2")
@pytest.mark.timeout(OPTIMIZER_TIMEOUT_S)
@weight(3)
def test_epoch_returns_mean_loss(student: RemotePackage) -> None:
    """train_one_epoch trains in train() mode and returns the mean of the batch losses"""
    batches = _batches(32)
    reference = _new_model(student)
    state = fixed_state(reference, seed=132)
    # no step is clipped: this test does not depend on the clipping
    loose = _clip_norm(reference, state, batches, tight=False)
    _, expected, _ = _reference_epoch(reference, state, batches, loose)
    model, mean_loss = _student_epoch(student, state, batches, loose)
    expect_epoch_mean_loss(model, mean_loss, expected)


@number("3.3")
@pytest.mark.timeout(OPTIMIZER_TIMEOUT_S)
@weight(3)
def test_small_gradients_are_not_rescaled(student: RemotePackage) -> None:
    """Gradients with a norm below clip_norm are used as they are"""
    _compare(
        student,
        seed=33,
        tight=False,
        hint=(
            "with a clip_norm far above the gradient norms the epoch should be plain SGD: "
            "clipping only shrinks a gradient whose norm exceeds clip_norm and never scales "
            "one up (torch.nn.utils.clip_grad_norm_ does exactly this)"
        ),
    )
