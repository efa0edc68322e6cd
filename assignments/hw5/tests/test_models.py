"""Task 1: CharRNN's shapes, parameters, causality, dropout and recurrent state."""

from __future__ import annotations

import pytest
import torch

from hw5.data import VOCAB_SIZE
from hw5.models import CharRNN

GATE_BLOCKS = {"rnn": 1, "gru": 3, "lstm": 4}


def tokens(batch: int, length: int, seed: int = 0) -> torch.Tensor:
    return torch.randint(
        0, VOCAB_SIZE, (batch, length), generator=torch.Generator().manual_seed(seed)
    )


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
@pytest.mark.parametrize(("batch", "length"), [(1, 1), (4, 64)])
def test_output_shape(cell: str, batch: int, length: int) -> None:
    logits = CharRNN(embed_dim=8, hidden_dim=16, cell=cell)(tokens(batch, length))
    assert logits.shape == (batch, length, VOCAB_SIZE)
    assert logits.dtype == torch.float32


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_parameter_count(cell: str) -> None:
    vocab, embed, hidden = VOCAB_SIZE, 12, 20
    model = CharRNN(vocab, embed, hidden, cell=cell)
    recurrent = GATE_BLOCKS[cell] * (hidden * embed + hidden * hidden + 2 * hidden)
    expected = vocab * embed + recurrent + hidden * vocab + vocab
    assert sum(p.numel() for p in model.parameters()) == expected


def test_unknown_cell_is_refused() -> None:
    with pytest.raises(ValueError):
        CharRNN(cell="transformer")


def test_no_peeking_at_later_tokens() -> None:
    torch.manual_seed(0)
    model = CharRNN(embed_dim=8, hidden_dim=16).eval()
    text = tokens(2, 10)
    other = text.clone()
    other[:, 6:] = (other[:, 6:] + 5) % VOCAB_SIZE
    with torch.no_grad():
        a, b = model(text), model(other)
    assert torch.allclose(a[:, :6], b[:, :6]), "logits at t must not depend on tokens after t"
    assert not torch.allclose(a[:, 6:], b[:, 6:])


def test_dropout_only_in_train_mode() -> None:
    model = CharRNN(embed_dim=16, hidden_dim=32, dropout=0.5)
    text = tokens(3, 12)
    model.train()
    assert not torch.equal(model(text), model(text)), "dropout should be active in train mode"
    model.eval()
    assert torch.equal(model(text), model(text)), "dropout must be off in eval mode"


@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_state_continues_where_it_stopped(cell: str) -> None:
    torch.manual_seed(0)
    model = CharRNN(embed_dim=8, hidden_dim=16, cell=cell).eval()
    text = tokens(2, 15, seed=1)
    with torch.no_grad():
        whole = model(text)
        first, state = model.forward_with_state(text[:, :5])
        rest, _ = model.forward_with_state(text[:, 5:], state)
    assert torch.allclose(torch.cat([first, rest], dim=1), whole, atol=1e-5)


def test_gradients_reach_every_parameter() -> None:
    torch.manual_seed(0)
    model = CharRNN(embed_dim=8, hidden_dim=16, cell="lstm")
    model(tokens(3, 9)).pow(2).sum().backward()
    for name, param in model.named_parameters():
        assert param.grad is not None and param.grad.abs().max() > 0, f"{name} got no gradient"
