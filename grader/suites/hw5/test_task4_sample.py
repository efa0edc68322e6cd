"""Homework 5, Task 4: sampling text (hidden suite, 14 points).

The student's `sample` generates text in the worker; the parent then runs the model once
over prefix + generated text (one forward pass from the zero state, which Task 1 checks
is causal) and judges every generated character against the logits that preceded it:
the argmax for greedy decoding, and softmax(logits / T) for temperature sampling.
"""

from __future__ import annotations

import math

import pytest
import torch

from grader.suitekit import RemoteModule, RemotePackage, number, weight
from grader.suites.hw5.lm import encode, fixed_state, logits_of, text_of

NEAR_TIE = 1e-4  # greedy steps whose top two logits are closer than this are not judged
MAX_Z = 4.5  # |z| of the temperature check; a correct sampler gives |z| < 2 or so
# hundreds of single-character steps: allow for a slow machine (the default is 10 s a call)
pytestmark = pytest.mark.timeout(30)


def _model(student: RemotePackage, cell: str, seed: int) -> RemoteModule:
    """A CharRNN with fixed weights whose next-character distribution depends strongly on
    the history, so a sampler that forgets the state makes visibly different choices."""
    model = student.models.CharRNN(embed_dim=16, hidden_dim=48, cell=cell)
    model.load_state_dict(fixed_state(model, seed=seed, gain=2.0))
    return model.eval()


def _logits_along(model: RemoteModule, prefix: str, text: str) -> torch.Tensor:
    """(len(text), V): the logits that predict each generated character."""
    tokens = encode(prefix + text)[None]  # (1, P + n)
    logits = logits_of(model(tokens), 1, tokens.shape[1], "CharRNN output")[0]
    return logits[len(prefix) - 1 : -1]


@number("4.1")
@weight(5)
def test_greedy_follows_the_state(student: RemotePackage) -> None:
    """With temperature 0 every character is the argmax given all the text before it"""
    for k, (cell, prefix) in enumerate((("gru", '2 (ab"C'), ("lstm", "0{hh a"))):
        model = _model(student, cell, seed=41 + k)
        n = 80
        text = text_of(
            student.sample.sample(model, prefix, n, temperature=0.0),
            n,
            f"sample(CharRNN(cell={cell!r}), ..., temperature=0)",
        )
        logits = _logits_along(model, prefix, text)  # (n, V)
        top2 = logits.double().topk(2, dim=-1).values
        judged = (top2[:, 0] - top2[:, 1]) > NEAR_TIE
        chosen = encode(text)
        wrong = int(((logits.argmax(dim=-1) != chosen) & judged).sum())
        assert wrong == 0, (
            f"with a {cell.upper()} and temperature 0, {wrong} of {n} generated characters are "
            "not the most likely one given the prefix and everything generated before them. "
            "Feed the prefix once, then each new character together with the state the "
            "previous call returned; take the argmax of the last position's logits"
        )


@number("4.2")
@weight(4)
def test_generator_seeds_the_draws(student: RemotePackage) -> None:
    """Every draw comes from the given generator: the same seed gives the same text"""
    model = _model(student, "gru", seed=43)

    def draw(generator: object) -> str:
        return text_of(
            student.sample.sample(model, "2", 40, temperature=1.0, generator=generator),
            40,
            "sample",
        )

    first = draw(student.sample.make_generator(5))
    again = draw(student.sample.make_generator(5))
    other = draw(student.sample.make_generator(6))
    assert first == again, (
        "two calls with generators seeded alike gave different texts: pass `generator` to "
        "torch.multinomial for every draw (not torch's global generator)"
    )
    assert first != other, "generators with different seeds gave the same text"
    shared = student.sample.make_generator(5)
    assert draw(shared) == first and draw(shared) != first, (
        "a generator used for a second call should continue where it stopped (a new text): "
        "do not re-seed or copy it inside sample"
    )


def _z_score(logits: torch.Tensor, text: str, temperature: float) -> float:
    """How far the generated characters' NLL under softmax(logits / T) is from what
    sampling from that distribution gives on average, in standard errors. The per-step
    differences are martingale increments, so z is close to a standard normal."""
    log_p = torch.log_softmax(logits.double() / temperature, dim=-1)  # (n, V)
    p = log_p.exp()
    chosen = encode(text)
    surprise = -log_p.gather(-1, chosen[:, None]).squeeze(-1)  # (n,)
    entropy = -(p * log_p).sum(-1)  # expected surprise of each step
    variance = (p * log_p**2).sum(-1) - entropy**2
    return float((surprise - entropy).sum() / variance.sum().clamp_min(1e-12).sqrt())


@number("4.3")
@weight(5)
def test_temperature_divides_the_logits(student: RemotePackage) -> None:
    """Characters drawn at temperature T follow softmax(logits / T), for T below and above 1"""
    model = _model(student, "gru", seed=44)
    n = 300
    for k, temperature in enumerate((0.5, 2.0)):
        generator = student.sample.make_generator(45 + k)
        text = text_of(
            student.sample.sample(model, "1", n, temperature=temperature, generator=generator),
            n,
            "sample",
        )
        z = _z_score(_logits_along(model, "1", text), text, temperature)
        assert math.isfinite(z) and abs(z) < MAX_Z, (
            f"at temperature {temperature} the generated characters are "
            f"{'less' if z > 0 else 'more'} predictable than draws from softmax(logits / T) "
            "would be: divide the last position's logits by the temperature, softmax, and "
            "draw one character with torch.multinomial (and carry the state from step to step)"
        )
