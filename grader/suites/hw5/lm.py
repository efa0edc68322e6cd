"""Parent-side helpers for the Homework 5 suite: token batches, fixed weights, and the
negative log-likelihood of a text computed here, in trusted code, from the logits that
came back from the worker.
"""

from __future__ import annotations

import math

import torch
from coursedata import VOCAB
from torch.nn import functional as F

from grader.suitekit import InvalidValue, RemoteModule, expect_tensor

VOCAB_SIZE = len(VOCAB)
CELLS = ("rnn", "gru", "lstm")
GATES = {"rnn": 1, "gru": 3, "lstm": 4}  # weight blocks per recurrent layer


def random_tokens(batch: int, length: int, seed: int) -> torch.Tensor:
    """int64 (B, L) uniform token indices."""
    gen = torch.Generator().manual_seed(seed)
    return torch.randint(0, VOCAB_SIZE, (batch, length), generator=gen)


def encode(text: str) -> torch.Tensor:
    """int64 (len(text),) indices into VOCAB."""
    return torch.tensor([VOCAB.index(char) for char in text], dtype=torch.int64)


def expected_parameter_count(vocab: int, embed: int, hidden: int, cell: str, layers: int) -> int:
    """Embedding + recurrent layers (weights and both biases) + linear head, as the handout
    states."""
    recurrent = sum(
        GATES[cell] * (hidden * (embed if layer == 0 else hidden) + hidden * hidden + 2 * hidden)
        for layer in range(layers)
    )
    return vocab * embed + recurrent + hidden * vocab + vocab


def logits_of(value: object, batch: int, length: int, name: str) -> torch.Tensor:
    """A checked (B, L, V) float32 logits tensor."""
    return expect_tensor(value, shape=(batch, length, VOCAB_SIZE), dtype=torch.float32, name=name)


def char_nll(logits: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
    """float64 (B, L - 1): -log p(tokens[:, t + 1]) under softmax(logits[:, t]), in nats."""
    log_probs = F.log_softmax(logits[:, :-1].double(), dim=-1)  # (B, L - 1, V)
    return -log_probs.gather(-1, tokens[:, 1:, None]).squeeze(-1)


def fixed_state(model: RemoteModule, seed: int, gain: float = 1.0) -> dict[str, torch.Tensor]:
    """The model's state_dict with every floating tensor redrawn from `seed`: matrices with
    standard deviation gain / sqrt(fan-in), vectors small. Stronger recurrent weights than
    PyTorch's default give logits that spread out and depend on the whole history."""
    gen = torch.Generator().manual_seed(seed)
    state = {}
    for name, value in model.state_dict().items():
        value = expect_tensor(value, name=f"state_dict()[{name!r}]")
        if value.is_floating_point():
            if value.dim() >= 2:  # fan-in: every dimension but the first (conv kernels too)
                fan_in = value[0].numel()
                value = torch.randn(value.shape, generator=gen) * gain / math.sqrt(fan_in)
            else:
                value = torch.randn(value.shape, generator=gen) * 0.1
        state[name] = value
    return state


def text_of(value: object, n: int, name: str) -> str:
    """A checked string of `n` vocabulary characters."""
    if not isinstance(value, str):
        raise InvalidValue(f"{name} should return a str, got {type(value).__name__}")
    if len(value) != n:
        raise InvalidValue(f"{name} returned {len(value)} characters, expected {n}")
    unknown = sorted(set(value) - set(VOCAB))
    if unknown:
        raise InvalidValue(f"{name} returned characters outside the vocabulary: {unknown}")
    return value
