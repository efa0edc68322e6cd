"""Task 2: next_char_loss and sequence_nll."""

from __future__ import annotations

import math

import torch
from torch import nn

from hw5.data import VOCAB_SIZE
from hw5.loss import next_char_loss, sequence_nll
from hw5.models import CharRNN


class Uniform(nn.Module):
    """Every character equally likely at every position: NLL log(28) nats per character."""

    def __init__(self) -> None:
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(VOCAB_SIZE))

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.bias.expand(*tokens.shape, VOCAB_SIZE)


def test_uniform_logits_cost_log_vocab() -> None:
    tokens = torch.randint(0, VOCAB_SIZE, (3, 7))
    loss = next_char_loss(torch.zeros(3, 7, VOCAB_SIZE), tokens)
    assert loss.shape == ()
    assert abs(loss.item() - math.log(VOCAB_SIZE)) < 1e-5, "use the natural log (nats)"


def test_each_position_predicts_the_next_character() -> None:
    tokens = torch.tensor([[3, 1, 4, 1, 5]])
    logits = torch.zeros(1, 5, VOCAB_SIZE)
    for t in range(4):
        logits[0, t, tokens[0, t + 1]] = 20.0  # confident and right about the next one
    logits[0, 4, 0] = 20.0  # the last position predicts nothing that is scored
    assert next_char_loss(logits, tokens).item() < 1e-3


def test_loss_is_a_mean_and_differentiable() -> None:
    logits = torch.randn(2, 6, VOCAB_SIZE, requires_grad=True)
    tokens = torch.randint(0, VOCAB_SIZE, (2, 6))
    loss = next_char_loss(logits, tokens)
    reference = nn.functional.cross_entropy(
        logits[:, :5].reshape(10, VOCAB_SIZE), tokens[:, 1:].reshape(10)
    )
    assert torch.allclose(loss, reference)
    loss.backward()
    assert logits.grad is not None and logits.grad[:, -1].abs().max() == 0


def test_sequence_nll_of_a_uniform_model() -> None:
    nll = sequence_nll(Uniform(), torch.randint(0, VOCAB_SIZE, (10, 9)), batch_size=4)
    assert isinstance(nll, float)
    assert abs(nll - math.log(VOCAB_SIZE)) < 1e-5


def test_sequence_nll_weighs_every_character_alike() -> None:
    torch.manual_seed(0)
    model = CharRNN(embed_dim=8, hidden_dim=16).eval()
    tokens = torch.randint(0, VOCAB_SIZE, (7, 11))
    with torch.no_grad():
        expected = next_char_loss(model(tokens), tokens).item()
    assert abs(sequence_nll(model, tokens, batch_size=3) - expected) < 1e-5


def test_sequence_nll_eval_mode_and_no_graph() -> None:
    model = CharRNN(embed_dim=8, hidden_dim=16, dropout=0.5).train()
    grad_modes: list[bool] = []
    model.register_forward_pre_hook(lambda module, args: grad_modes.append(torch.is_grad_enabled()))
    sequence_nll(model, torch.randint(0, VOCAB_SIZE, (5, 8)), batch_size=2)
    assert not model.training, "sequence_nll should leave the model in eval mode"
    assert grad_modes and not any(grad_modes), "sequence_nll should run under torch.no_grad()"
