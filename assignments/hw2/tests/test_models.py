"""Tasks 1 and 2: MLPClassifier and init_weights."""

from __future__ import annotations

from itertools import pairwise

import pytest
import torch
from torch import nn

from hw2.models import MLPClassifier, init_weights


def expected_parameter_count(hidden_dims: tuple[int, ...]) -> int:
    widths = (3 * 64 * 64, *hidden_dims, 6)
    return sum(d_in * d_out + d_out for d_in, d_out in pairwise(widths))


@pytest.mark.parametrize("hidden_dims", [(), (32,), (64, 16)])
@pytest.mark.parametrize("batch", [1, 4])
def test_output_shape(hidden_dims: tuple[int, ...], batch: int) -> None:
    model = MLPClassifier(hidden_dims=hidden_dims, dropout=0.0)
    logits = model(torch.rand(batch, 3, 64, 64))
    assert logits.shape == (batch, 6)
    assert logits.dtype == torch.float32


@pytest.mark.parametrize("hidden_dims", [(10,), (20, 5)])
def test_parameter_count(hidden_dims: tuple[int, ...]) -> None:
    model = MLPClassifier(hidden_dims=hidden_dims)
    count = sum(p.numel() for p in model.parameters())
    assert count == expected_parameter_count(hidden_dims)


def test_is_not_linear() -> None:
    torch.manual_seed(0)
    model = MLPClassifier(hidden_dims=(32,), dropout=0.0).eval()
    a, b = torch.rand(8, 3, 64, 64), torch.rand(8, 3, 64, 64)
    with torch.no_grad():
        gap = model((a + b) / 2) - (model(a) + model(b)) / 2
    assert gap.abs().max() > 1e-3, "the model is affine: add a ReLU after each hidden layer"


def test_dropout_only_in_train_mode() -> None:
    model = MLPClassifier(hidden_dims=(128,), dropout=0.5)
    x = torch.rand(4, 3, 64, 64)
    model.train()
    assert not torch.equal(model(x), model(x)), "dropout should be active in train() mode"
    model.eval()
    assert torch.equal(model(x), model(x)), "dropout must be off in eval() mode"
    assert torch.allclose(model(x[:1]), model(x)[:1], atol=1e-5)


def test_init_weights_scales_by_fan_in() -> None:
    torch.manual_seed(0)
    layer = nn.Linear(1000, 500)
    init_weights(layer)
    assert torch.all(layer.bias == 0), "start the biases at zero"
    std = layer.weight.std().item()
    # Kaiming (2 / fan_in) and Xavier (2 / (fan_in + fan_out)) both land in this range
    assert 0.03 < std < 0.06, f"weight std {std:.4f} is not scaled by the layer's fan-in"


def test_initial_logit_spread() -> None:
    torch.manual_seed(0)
    model = MLPClassifier(hidden_dims=(256, 256, 256, 256), dropout=0.0).eval()
    with torch.no_grad():
        logits = model(torch.rand(64, 3, 64, 64))
    spread = logits.std(dim=0).mean().item()
    assert 0.05 <= spread <= 5, f"logit spread at initialisation is {spread:.3g}"


def test_every_parameter_gets_a_gradient() -> None:
    torch.manual_seed(0)
    model = MLPClassifier(hidden_dims=(16, 8), dropout=0.0)
    model(torch.rand(4, 3, 64, 64)).sum().backward()
    for name, param in model.named_parameters():
        assert param.grad is not None, f"{name} got no gradient"
        assert param.grad.abs().max() > 0, f"{name} got an all-zero gradient"
