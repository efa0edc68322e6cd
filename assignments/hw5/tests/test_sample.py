"""Task 4: sample, greedy and with temperature."""

from __future__ import annotations

import torch

from hw5.data import VOCAB, encode
from hw5.models import CharRNN
from hw5.sample import make_generator, sample


def small_model(cell: str = "gru") -> CharRNN:
    torch.manual_seed(0)
    return CharRNN(embed_dim=8, hidden_dim=32, cell=cell).eval()


def test_length_and_vocabulary() -> None:
    text = sample(small_model(), "0", 50, temperature=1.0, generator=make_generator(0))
    assert isinstance(text, str) and len(text) == 50
    assert set(text) <= set(VOCAB)


def test_greedy_takes_the_argmax_given_everything_before() -> None:
    for cell in ("gru", "lstm"):
        model = small_model(cell)
        prefix = "2 (ab"
        text = sample(model, prefix, 20, temperature=0.0)
        full = encode(prefix + text)[None]  # (1, 25)
        with torch.no_grad():
            predicted = model(full)[0, len(prefix) - 1 : -1].argmax(dim=-1)  # (20,)
        assert predicted.tolist() == encode(text).tolist(), f"{cell}: greedy is not the argmax"


def test_generator_makes_it_repeatable() -> None:
    model = small_model()
    first = sample(model, "1", 30, generator=make_generator(3))
    again = sample(model, "1", 30, generator=make_generator(3))
    other = sample(model, "1", 30, generator=make_generator(4))
    assert first == again, "the same seed should give the same text"
    assert first != other


def test_greedy_needs_no_generator_and_hot_sampling_differs() -> None:
    model = small_model()
    greedy = sample(model, "3", 30, temperature=0.0)
    assert sample(model, "3", 30, temperature=0.0) == greedy, "greedy decoding draws nothing"
    hot = sample(model, "3", 30, temperature=5.0, generator=make_generator(0))
    assert hot != greedy
