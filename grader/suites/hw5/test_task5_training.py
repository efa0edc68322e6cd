"""Homework 5, Task 5: the training entry point, scored on the hidden test text (20 points).

The student's `train.train` runs once, in its own worker, under a budget written in
reference units (1 unit = 1 s on the course's 2-core reference machine). The whole test
split is hidden: the parent reads it, sends the rows without their last character to the
worker, gets the logits back and computes the NLL itself, so the targets are scored in
trusted code. A model that peeks at later characters would score far below the source's
own entropy; the parent checks on the same rows that the predictions do not change when
the text is cut short, and scores such a model 0.

The score is the gap to the floor, relative to the gap of a bigram model:

    ratio = (NLL(model) - NLL(source)) / (NLL(bigram) - NLL(source))

0 is the source itself (no model can do better on average), 1 is a bigram model (counts
of which character follows which), an untrained model is near 3.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import pytest
import torch
from coursedata import optimal_nll

from grader.suitekit import (
    GradingSession,
    InvalidValue,
    TrainedModel,
    band_points,
    load_targets,
    number,
    partial_credit,
    train_student,
    weight,
)
from grader.suites.hw5.lm import VOCAB_SIZE, char_nll, logits_of

BUDGET_UNITS = 90  # the reference trains in 36 s here, at 0.84x reference speed (30 units)
# Linear band on the ratio above (lower is better), sequences v1, dev seed. The reference
# (GRU, 3 epochs) reaches 0.057, 0.046 and 0.045 with seeds 0-2; an LSTM in its place
# 0.063; one epoch of the GRU 0.13, a vanilla RNN 0.15, the GRU trained on the 2,000 valid
# rows 0.23, one epoch of a vanilla RNN 0.36; the starter's untuned settings 1.05, a bigram
# model 1 by definition, an untrained model about 3.
RATIO_FULL, RATIO_ZERO = 0.10, 0.50
EVAL_BATCH = 250  # rows per forward pass in the worker
CAUSAL_ROWS = 200  # rows re-scored from cut texts
CUTS = (1, 9, 24, 40, 57, 62)  # prefix lengths the causality check feeds
CAUSAL_TOLERANCE = 1e-3  # logits; float32 rounding differs a little with the sequence length
BIGRAM_PSEUDOCOUNT = 0.1


@dataclass(frozen=True)
class Levels:
    floor: float  # the source's own NLL on the test rows (characters 1..L-1)
    bigram: float  # a bigram model counted on the public train split, same characters


@pytest.fixture(scope="module")
def trained(grader_session: GradingSession) -> Iterator[TrainedModel]:
    result = train_student(grader_session, budget_units=BUDGET_UNITS)
    yield result
    result.close()


def _tokens(trained: TrainedModel, split: str) -> np.ndarray:
    """int64 (N, L) rows of a split, read in the parent (the test split from the hidden root)."""
    return load_targets(trained, "sequences", split).astype(np.int64)


def reference_levels(test: np.ndarray, train: np.ndarray) -> Levels:
    """The floor (coursedata.optimal_nll) and the bigram NLL on `test`, characters 1..L-1."""
    counts = np.full((VOCAB_SIZE, VOCAB_SIZE), BIGRAM_PSEUDOCOUNT)
    np.add.at(counts, (train[:, :-1], train[:, 1:]), 1.0)
    log_p = np.log(counts / counts.sum(axis=1, keepdims=True))
    bigram = float(-log_p[test[:, :-1], test[:, 1:]].mean())
    return Levels(floor=float(optimal_nll(test)[:, 1:].mean()), bigram=bigram)


def score_test_split(trained: TrainedModel) -> float:
    """The model's NLL (nats per character) on the hidden test rows, characters 1..L-1."""
    model = trained.require()
    tokens = torch.from_numpy(_tokens(trained, "test"))
    rows, length = tokens.shape
    inputs = tokens[:, :-1]  # the last character is only ever a target
    model.eval()
    with trained.charged():  # evaluation is charged to the training budget
        logits = logits_of(
            model.predict(inputs, output="logits", batch_size=EVAL_BATCH),
            rows,
            length - 1,
            "the trained model's output on the test rows",
        )
        for cut in CUTS:
            part = logits_of(
                model.predict(inputs[:CAUSAL_ROWS, :cut], output="logits", batch_size=CAUSAL_ROWS),
                CAUSAL_ROWS,
                cut,
                "the trained model's output on cut rows",
            )
            if not torch.allclose(
                part, logits[:CAUSAL_ROWS, :cut], atol=CAUSAL_TOLERANCE, rtol=CAUSAL_TOLERANCE
            ):
                raise InvalidValue(
                    "the trained model's predictions change when the text after them is "
                    "removed: a prediction may only depend on the characters before it"
                )
    # char_nll scores logits[:, :-1]; the last position, never computed, predicts nothing
    full = torch.cat([logits, torch.zeros(rows, 1, VOCAB_SIZE)], dim=1)  # (N, L, V)
    return float(char_nll(full, tokens).mean())


@number("5.1")
@weight(4)
def test_returns_a_char_rnn(trained: TrainedModel, record_property: Callable) -> None:
    """train finishes within its time budget and returns a CharRNN"""
    model = trained.require(record_property)
    assert model.remote_type.endswith(".CharRNN"), (
        f"train returned a {model.remote_type}; it should return the trained CharRNN"
    )


@number("5.2")
@partial_credit(16)
def test_test_nll(
    trained: TrainedModel,
    set_score: Callable[[float], None],
    grader_session: GradingSession,
    record_property: Callable,
) -> None:
    """The trained model predicts the hidden test text (NLL gap to the floor, credit band)"""
    trained.require()
    nll = score_test_split(trained)
    levels = reference_levels(_tokens(trained, "test"), _tokens(trained, "train"))
    ratio = (nll - levels.floor) / (levels.bigram - levels.floor)
    record_property(
        "nll",
        {
            "model": round(nll, 4),
            "floor": round(levels.floor, 4),
            "bigram": round(levels.bigram, 4),
            "ratio": round(ratio, 4),
        },
    )
    set_score(band_points(ratio, low=RATIO_ZERO, high=RATIO_FULL, points=16))
    grader_session.note(
        f"Task 5: NLL on the hidden test text {nll:.4f} nats/char; the source's floor is "
        f"{levels.floor:.4f}, a bigram model {levels.bigram:.4f}: your gap to the floor is "
        f"{ratio:.2f} of the bigram's"
    )
    assert ratio <= RATIO_FULL, (
        f"your model's gap to the floor is {ratio:.2f} of a bigram model's; full credit needs "
        f"{RATIO_FULL:.2f} or less (credit starts below {RATIO_ZERO:.2f}). Check that you "
        'train on the "train" split (the "valid" text is for measuring), watch valid_nll in '
        "your training log, then tune the hidden size, learning rate or epochs"
    )
