"""Task 3: train_one_epoch, compared with a hand-written loop, and a tiny overfit."""

from __future__ import annotations

import copy

import torch
from torch import nn

from hw5.data import VOCAB_SIZE, encode
from hw5.loop import make_optimizer, train_one_epoch
from hw5.loss import next_char_loss
from hw5.models import CharRNN


def batches(n: int, size: int, length: int, seed: int) -> list[torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return [torch.randint(0, VOCAB_SIZE, (size, length), generator=g) for _ in range(n)]


def test_one_epoch_matches_a_clipped_reference_loop() -> None:
    torch.manual_seed(0)
    model = CharRNN(embed_dim=8, hidden_dim=16)
    reference = copy.deepcopy(model)
    data = batches(3, 4, 10, seed=1)

    ref_optimizer = torch.optim.SGD(reference.parameters(), lr=0.5, momentum=0.9)
    ref_losses = []
    for tokens in data:
        ref_optimizer.zero_grad()
        loss = next_char_loss(reference(tokens), tokens)
        loss.backward()
        nn.utils.clip_grad_norm_(reference.parameters(), 0.1)
        ref_optimizer.step()
        ref_losses.append(loss.item())

    model.eval()
    optimizer = make_optimizer(model, name="sgd", lr=0.5, momentum=0.9)
    mean_loss = train_one_epoch(model, data, optimizer, clip_norm=0.1)

    assert model.training, "train_one_epoch should switch the model to train mode"
    assert isinstance(mean_loss, float)
    assert abs(mean_loss - sum(ref_losses) / len(ref_losses)) < 1e-5
    for (name, got), want in zip(model.named_parameters(), reference.parameters(), strict=True):
        assert torch.allclose(got, want, atol=1e-6), f"{name} differs from the reference"


def test_on_step_gets_every_batch_loss() -> None:
    model = CharRNN(embed_dim=8, hidden_dim=8)
    seen: list[float] = []
    train_one_epoch(model, batches(4, 2, 6, seed=2), make_optimizer(model), on_step=seen.append)
    assert len(seen) == 4 and all(isinstance(v, float) for v in seen)


def test_memorises_two_rows() -> None:
    torch.manual_seed(0)
    rows = torch.stack([encode('1 ab (cd) "EF" gh'), encode('3 [ee {f}] "GA" b')])  # (2, 17)
    model = CharRNN(embed_dim=16, hidden_dim=32)
    optimizer = make_optimizer(model, name="adam", lr=1e-2)
    for _ in range(60):
        train_one_epoch(model, [rows], optimizer)
    model.eval()
    with torch.no_grad():
        loss = next_char_loss(model(rows), rows).item()
    assert loss < 0.5, f"after 60 steps on the same two rows the loss is still {loss:.2f}"
