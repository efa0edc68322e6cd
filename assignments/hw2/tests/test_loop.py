"""Task 3: train_one_epoch and evaluate, compared with a hand-written reference."""

from __future__ import annotations

import copy

import torch
from torch.nn import functional as F

from hw2.loop import evaluate, make_optimizer, train_one_epoch
from hw2.models import MLPClassifier


def batches(n: int, size: int, seed: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
    g = torch.Generator().manual_seed(seed)
    return [(torch.rand(size, 3, 64, 64, generator=g), torch.randint(0, 6, (size,), generator=g))
            for _ in range(n)]


def test_one_epoch_matches_a_reference_loop() -> None:
    torch.manual_seed(0)
    model = MLPClassifier(hidden_dims=(16,), dropout=0.0)
    reference = copy.deepcopy(model)
    data = batches(3, 8, seed=1)

    ref_optimizer = torch.optim.SGD(reference.parameters(), lr=0.05, momentum=0.9)
    ref_losses = []
    for images, labels in data:
        ref_optimizer.zero_grad()
        loss = F.cross_entropy(reference(images), labels)
        loss.backward()
        ref_optimizer.step()
        ref_losses.append(loss.item())

    model.eval()
    optimizer = make_optimizer(model, name="sgd", lr=0.05, momentum=0.9)
    mean_loss = train_one_epoch(model, data, optimizer)

    assert model.training, "train_one_epoch should switch the model to train mode"
    assert isinstance(mean_loss, float)
    assert abs(mean_loss - sum(ref_losses) / len(ref_losses)) < 1e-5
    for (name, got), want in zip(model.named_parameters(), reference.parameters(), strict=True):
        assert torch.allclose(got, want, atol=1e-6), f"{name} differs from the reference"


def test_on_step_gets_every_batch_loss() -> None:
    model = MLPClassifier(hidden_dims=(8,), dropout=0.0)
    seen: list[float] = []
    train_one_epoch(model, batches(4, 2, seed=2), make_optimizer(model), on_step=seen.append)
    assert len(seen) == 4 and all(isinstance(v, float) for v in seen)


def test_evaluate_accuracy_mode_and_no_graph() -> None:
    torch.manual_seed(0)
    model = MLPClassifier(hidden_dims=(32,), dropout=0.5)
    images = torch.rand(10, 3, 64, 64)
    model.eval()
    with torch.no_grad():
        predicted = model(images).argmax(dim=1)
    labels = predicted.clone()
    labels[:3] = (labels[:3] + 1) % 6  # 3 wrong, 7 right
    grad_modes: list[bool] = []
    model.register_forward_pre_hook(lambda module, args: grad_modes.append(torch.is_grad_enabled()))

    model.train()
    accuracy = evaluate(model, [(images[:6], labels[:6]), (images[6:], labels[6:])])
    assert abs(accuracy - 0.7) < 1e-9
    assert not model.training, "evaluate should leave the model in eval mode"
    assert grad_modes and not any(grad_modes), "evaluate should run under torch.no_grad()"
