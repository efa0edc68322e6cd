"""Homework 5, Task 2: next_char_loss and sequence_nll (hidden suite, 20 points).

Every expected value is computed here from logits: random ones for the loss, and for
sequence_nll the student's own model run in eval mode through `RemoteModule.predict`
(no grad, the engine's own batching), so the check does not depend on Task 1 being
identical to the reference.
"""

from __future__ import annotations

import math

import torch

from grader.suitekit import (
    RemoteModule,
    RemotePackage,
    expect_number,
    expect_tensor,
    number,
    weight,
)
from grader.suites.hw5.lm import VOCAB_SIZE, char_nll, fixed_state, logits_of, random_tokens

ROWS, LENGTH, BATCH_SIZE = 40, 24, 16  # batches of 16, 16 and 8 rows


def _hint(got: float, mistakes: list[tuple[float, str]]) -> str:
    """The description of the first known mistake whose value matches `got`, or ""."""
    for value, description in mistakes:
        if math.isclose(got, value, rel_tol=1e-4, abs_tol=1e-6):
            return "; " + description
    return ""


@number("2.1")
@weight(6)
def test_next_char_loss(student: RemotePackage) -> None:
    """next_char_loss is the mean NLL in nats of each next character (teacher forcing)"""
    gen = torch.Generator().manual_seed(21)
    for batch, length in ((1, 2), (3, 10), (4, 33)):
        logits = torch.randn(batch, length, VOCAB_SIZE, generator=gen) * 2
        tokens = torch.randint(0, VOCAB_SIZE, (batch, length), generator=gen)
        value = expect_tensor(
            student.loss.next_char_loss(logits, tokens),
            shape=(),
            name="next_char_loss's return value",
        )
        got = value.item()
        nll = char_nll(logits, tokens)  # (B, L - 1), nats
        expected = nll.mean().item()
        unshifted = torch.nn.functional.cross_entropy(
            logits.reshape(-1, VOCAB_SIZE).double(), tokens.reshape(-1)
        ).item()
        mistakes = [
            (expected / math.log(2), "the value is in bits (log base 2): use the natural log"),
            (nll.sum().item(), "the losses are summed: take their mean"),
            (
                unshifted,
                "logits[:, t] are scored against tokens[:, t]: the target of "
                "position t is the next character, tokens[:, t + 1]",
            ),
        ]
        assert math.isclose(got, expected, rel_tol=1e-4, abs_tol=1e-6), (
            f"next_char_loss returned {got:.5g} for a ({batch}, {length}) batch, expected the "
            "mean over the B * (L - 1) predictions of -log softmax(logits[:, t])[tokens[:, t + 1]]"
            + _hint(got, mistakes)
        )


def _model(student: RemotePackage, seed: int) -> RemoteModule:
    """A CharRNN with dropout and fixed weights whose logits spread well beyond uniform."""
    model = student.models.CharRNN(embed_dim=16, hidden_dim=32, dropout=0.5)
    model.load_state_dict(fixed_state(model, seed=seed, gain=2.0))
    return model


@number("2.2")
@weight(8)
def test_sequence_nll_value(student: RemotePackage) -> None:
    """sequence_nll is the eval-mode mean NLL per character over every predicted character"""
    model = _model(student, seed=22)
    tokens = random_tokens(ROWS, LENGTH, seed=23)
    model.train()  # sequence_nll must switch dropout off itself
    got = expect_number(
        student.loss.sequence_nll(model, tokens, batch_size=BATCH_SIZE),
        name="sequence_nll's return value",
    )
    model.eval()
    logits = logits_of(
        model.predict(tokens, output="logits", batch_size=ROWS), ROWS, LENGTH, "CharRNN output"
    )
    nll = char_nll(logits, tokens)  # (N, L - 1)
    expected = nll.mean().item()
    batch_means = [nll[i : i + BATCH_SIZE].mean().item() for i in range(0, ROWS, BATCH_SIZE)]
    mistakes = [
        (expected / math.log(2), "the value is in bits: use the natural log (nats)"),
        (
            sum(batch_means) / len(batch_means),
            "it is a mean of per-batch means, so the short "
            "last batch weighs as much as a full one: add up the NLL of every character and "
            "divide by their number",
        ),
        (
            nll.sum().item() / (ROWS * LENGTH),
            "it divides by every character of every row, but "
            "position 0 is never predicted: there are L - 1 predictions per row",
        ),
    ]
    assert math.isclose(got, expected, rel_tol=1e-4, abs_tol=1e-6), (
        f"sequence_nll returned {got:.5g}, expected the mean NLL in nats of characters 1..L-1 "
        "of every row, computed in eval() mode (dropout off)" + _hint(got, mistakes)
    )


@number("2.3")
@weight(6)
def test_sequence_nll_eval_mode_no_graph(student: RemotePackage) -> None:
    """sequence_nll runs without recording a graph and leaves the model in eval() mode"""
    model = _model(student, seed=24)
    model.train()
    model.record_grad_modes()
    expect_number(
        student.loss.sequence_nll(model, random_tokens(12, 10, seed=25), batch_size=5),
        name="sequence_nll's return value",
    )
    modes = model.grad_modes()
    assert modes, "sequence_nll never called the model"
    assert not model.training, (
        "sequence_nll must switch the model to eval() mode (dropout off) and leave it there"
    )
    assert not any(modes), (
        "sequence_nll ran the model with autograd on: wrap the loop in torch.no_grad() so no "
        "graph is built"
    )
