"""Homework 5, Task 1: the CharRNN language model (hidden suite, 30 points)."""

from __future__ import annotations

import torch

from grader.suitekit import InvalidValue, RemotePackage, expect_tensor, number, weight
from grader.suites.hw5.lm import (
    CELLS,
    VOCAB_SIZE,
    expected_parameter_count,
    fixed_state,
    logits_of,
    random_tokens,
)

TOLERANCE = 1e-5


@number("1.1")
@weight(5)
def test_output_shape(student: RemotePackage) -> None:
    """CharRNN returns (B, L, V) float32 logits for every cell, batch size and length"""
    for k, cell in enumerate(CELLS):
        model = student.models.CharRNN(embed_dim=8, hidden_dim=24, cell=cell)
        for batch, length in ((1, 1), (3, 17), (8, 64)):
            logits_of(
                model(random_tokens(batch, length, seed=10 * k + length)),
                batch,
                length,
                f"CharRNN(cell={cell!r}) output for a ({batch}, {length}) batch",
            )


@number("1.2")
@weight(5)
def test_parameter_count(student: RemotePackage) -> None:
    """CharRNN has exactly the parameters of its embedding, recurrent layers and head"""
    configs = [(VOCAB_SIZE, 10, 20, cell, 1) for cell in CELLS]
    configs += [(VOCAB_SIZE, 6, 12, "gru", 2), (40, 7, 9, "lstm", 1)]
    for vocab, embed, hidden, cell, layers in configs:
        model = student.models.CharRNN(vocab, embed, hidden, cell=cell, num_layers=layers)
        got = model.parameter_count()
        expected = expected_parameter_count(vocab, embed, hidden, cell, layers)
        assert got == expected, (
            f"CharRNN({vocab}, {embed}, {hidden}, cell={cell!r}, num_layers={layers}) has "
            f"{got - expected:+d} parameters compared with the handout's formula: use one "
            "nn.Embedding, the nn.RNN / nn.GRU / nn.LSTM module of the chosen cell (one "
            "direction, default biases) and one nn.Linear head, and no other parameters"
        )


CAUSAL_LENGTH = 40  # positions checked, all in one batched call per cell


def cut_batch(length: int, seed: int) -> torch.Tensor:
    """(length, length) tokens: row 0 is a base sequence, row p (p >= 1) equals it before
    position p and differs from it at every position from p on."""
    base = random_tokens(1, length, seed=seed)[0]
    other = (base + 1 + random_tokens(1, length, seed=seed + 1)[0] % (VOCAB_SIZE - 1)) % VOCAB_SIZE
    cut = torch.arange(length)[:, None]  # row p changes positions >= p
    positions = torch.arange(length)[None, :]
    return torch.where((positions >= cut) & (cut > 0), other, base)


@number("1.3")
@weight(4)
def test_causal(student: RemotePackage) -> None:
    """The logits at position t depend on tokens 0..t only, never on later tokens"""
    n = CAUSAL_LENGTH
    for k, cell in enumerate(("gru", "lstm")):
        model = student.models.CharRNN(embed_dim=8, hidden_dim=24, cell=cell).eval()
        logits = logits_of(model(cut_batch(n, seed=30 + k)), n, n, "CharRNN output")
        base = logits[0]
        for p in range(1, n):  # row p must equal the base before position p
            gap = (logits[p, :p] - base[:p]).abs().amax(dim=-1)  # (p,)
            leaks = (gap > TOLERANCE + TOLERANCE * base[:p].abs().amax(dim=-1)).nonzero()
            if len(leaks):
                t = int(leaks[-1])
                raise AssertionError(
                    f"CharRNN(cell={cell!r}): the logits at position {t} changed when only the "
                    f"tokens from position {p} on changed, so the prediction at {t} reads "
                    f"{'the next token' if p == t + 1 else 'later tokens'}. The prediction at "
                    "position t may only read tokens 0..t (a one-directional recurrence, no "
                    "bidirectional=True, no shifted or look-ahead input)"
                )
        reads = [not torch.allclose(logits[p, p], base[p]) for p in range(1, n)]
        assert sum(reads) >= (n - 1) // 2, (
            f"CharRNN(cell={cell!r}): the logits at position t mostly do not change when the "
            "token at t changes: the model must read its input"
        )


@number("1.4")
@weight(5)
def test_every_parameter_gets_a_gradient(student: RemotePackage) -> None:
    """After one backward pass the embedding, recurrent and head weights all have gradients"""
    for k, cell in enumerate(("gru", "lstm")):
        model = student.models.CharRNN(embed_dim=8, hidden_dim=16, cell=cell).train()
        weights = torch.randn(3, 10, VOCAB_SIZE, generator=torch.Generator().manual_seed(50 + k))
        grads = model.gradients(random_tokens(3, 10, seed=55 + k), weights=weights)
        logits_of(grads.output, 3, 10, "CharRNN output")
        assert grads.params, "CharRNN has no parameters"
        kinds = {info.torch_type for info in model.submodules()}
        assert "Embedding" in kinds, "CharRNN should look its tokens up in an nn.Embedding"
        for name, grad in grads.params.items():
            assert grad is not None, (
                f"CharRNN(cell={cell!r}): parameter {name} received no gradient: it is not "
                "used in forward, or its output is detached from the graph (no .detach() "
                "or torch.no_grad() inside forward)"
            )
            grad = expect_tensor(grad, name=f"gradient of {name}")
            assert grad.abs().max().item() > 0, (
                f"CharRNN(cell={cell!r}): parameter {name} received an all-zero gradient"
            )


@number("1.5")
@weight(5)
def test_dropout_follows_the_mode(student: RemotePackage) -> None:
    """Dropout is on in train() mode, off in eval() mode, and rows never mix"""
    model = student.models.CharRNN(embed_dim=16, hidden_dim=32, dropout=0.5).train()
    tokens = random_tokens(6, 15, seed=60)
    first = logits_of(model(tokens), 6, 15, "CharRNN output")
    second = logits_of(model(tokens), 6, 15, "CharRNN output")
    assert not torch.equal(first, second), (
        "with dropout=0.5 in train() mode two forward passes gave identical logits: apply "
        "nn.Dropout(dropout) to the embeddings and to the recurrent outputs"
    )
    model.eval()
    first = logits_of(model(tokens), 6, 15, "CharRNN output")
    second = logits_of(model(tokens), 6, 15, "CharRNN output")
    assert torch.equal(first, second), (
        "in eval() mode two forward passes of the same batch gave different logits: dropout "
        "must be off in eval mode (nn.Dropout does this; F.dropout needs training=self.training)"
    )
    alone = logits_of(model(tokens[2:3]), 1, 15, "CharRNN output")
    assert torch.allclose(alone[0], first[2], atol=TOLERANCE, rtol=1e-4), (
        "in eval() mode a row's logits change with the other rows of its batch: each row is "
        "a separate text"
    )


def _pair(value: object, name: str) -> tuple[object, object]:
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise InvalidValue(f"{name} should return a pair (logits, state)")
    return value[0], value[1]


@number("1.6")
@weight(6)
def test_state_continues_the_sequence(student: RemotePackage) -> None:
    """forward_with_state on two halves, passing the state along, equals one pass on the whole"""
    for k, cell in enumerate(("gru", "lstm")):
        model = student.models.CharRNN(embed_dim=8, hidden_dim=24, cell=cell).eval()
        model.load_state_dict(fixed_state(model, seed=70 + k, gain=1.5))
        tokens = random_tokens(3, 30, seed=75 + k)
        whole = logits_of(model(tokens), 3, 30, "CharRNN output")
        what = f"CharRNN(cell={cell!r}).forward_with_state"
        logits, _ = _pair(model.forward_with_state(tokens), what)
        assert torch.allclose(logits_of(logits, 3, 30, what), whole, atol=TOLERANCE, rtol=1e-4), (
            f"{what} without a state should give forward's logits"
        )
        head, state = _pair(model.forward_with_state(tokens[:, :11]), what)
        head = logits_of(head, 3, 11, what)
        tail, _ = _pair(model.forward_with_state(tokens[:, 11:], state), what)
        tail = logits_of(tail, 3, 19, what)
        assert torch.allclose(torch.cat([head, tail], dim=1), whole, atol=1e-4, rtol=1e-4), (
            f"{what}: running tokens[:, :11], then tokens[:, 11:] from the returned state, "
            "does not give the logits of one pass over all the tokens. Return the recurrent "
            "state after the last position (for an LSTM the pair (h, c)) and start from the "
            "state you are given"
        )
