"""Homework 2, Tasks 1 and 2: the MLPClassifier and its initialisation (hidden suite)."""

from __future__ import annotations

import torch

from grader.suitekit import RemotePackage, expect_tensor, number, weight

NUM_CLASSES = 6
INPUT_DIM = 3 * 64 * 64
INIT_SPREAD_BAND = (0.05, 5.0)  # stated in the handout


def _images(batch: int, seed: int) -> torch.Tensor:
    """(B, 3, 64, 64) random images in [0, 1]."""
    return torch.rand(batch, 3, 64, 64, generator=torch.Generator().manual_seed(seed))


def _expected_parameter_count(hidden_dims: tuple[int, ...]) -> int:
    widths = (INPUT_DIM, *hidden_dims, NUM_CLASSES)
    return sum(d_in * d_out + d_out for d_in, d_out in zip(widths, widths[1:], strict=False))


@number("1.1")
@weight(6)
def test_output_shape(student: RemotePackage) -> None:
    """MLPClassifier returns (B, 6) float32 logits for any depth and batch size"""
    for depth, hidden_dims in enumerate([(), (40,), (72, 24)]):
        model = student.models.MLPClassifier(hidden_dims=hidden_dims, dropout=0.0)
        for batch in (1, 5, 16):
            expect_tensor(
                model(_images(batch, seed=batch)),
                shape=(batch, NUM_CLASSES),
                dtype=torch.float32,
                name=f"MLPClassifier output ({depth} hidden layers, batch of {batch})",
            )


@number("1.2")
@weight(6)
def test_parameter_count(student: RemotePackage) -> None:
    """MLPClassifier has exactly the parameters of its Linear layers (weights and biases)"""
    for hidden_dims in [(33,), (48, 20), (30, 12, 9)]:
        model = student.models.MLPClassifier(hidden_dims=hidden_dims, dropout=0.1)
        got = model.parameter_count()
        expected = _expected_parameter_count(hidden_dims)
        assert got == expected, (
            f"a model with {len(hidden_dims)} hidden layers has {got - expected:+d} parameters "
            "compared with the handout's formula: use one nn.Linear (with bias) per layer and "
            "no other layer with parameters"
        )


@number("1.3")
@weight(6)
def test_is_not_linear(student: RemotePackage) -> None:
    """MLPClassifier is not an affine map: a non-linearity sits between its Linear layers"""
    model = student.models.MLPClassifier(hidden_dims=(64, 32), dropout=0.0).eval()
    first, second = _images(16, seed=1), _images(16, seed=2)
    outputs = [
        expect_tensor(model(x), shape=(16, NUM_CLASSES), name="MLPClassifier output")
        for x in (first, second, (first + second) / 2)
    ]
    # an affine f has f((a + b) / 2) == (f(a) + f(b)) / 2 exactly (up to rounding)
    gap = (outputs[2] - (outputs[0] + outputs[1]) / 2).abs().max().item()
    scale = torch.cat(outputs).std().item()
    assert scale > 0, "MLPClassifier returns the same logits for every input"
    assert gap > 1e-3 * scale, (
        "MLPClassifier behaves as one affine map: f((a + b) / 2) equals (f(a) + f(b)) / 2. "
        "Put a ReLU after every hidden Linear layer"
    )


@number("1.4")
@weight(4)
def test_dropout_active_in_train_mode(student: RemotePackage) -> None:
    """In train() mode dropout is on: two forward passes of the same batch differ"""
    model = student.models.MLPClassifier(hidden_dims=(256,), dropout=0.5).train()
    x = _images(8, seed=3)
    first = expect_tensor(model(x), shape=(8, NUM_CLASSES), name="MLPClassifier output")
    second = expect_tensor(model(x), shape=(8, NUM_CLASSES), name="MLPClassifier output")
    assert not torch.equal(first, second), (
        "with dropout=0.5 in train() mode two forward passes gave identical logits: apply "
        "nn.Dropout(dropout) after each hidden layer's ReLU"
    )


@number("1.5")
@weight(6)
def test_eval_mode_is_deterministic(student: RemotePackage) -> None:
    """In eval() mode the output is deterministic and each image ignores the rest of its batch"""
    model = student.models.MLPClassifier(hidden_dims=(256,), dropout=0.5).eval()
    x = _images(12, seed=4)
    first = expect_tensor(model(x), shape=(12, NUM_CLASSES), name="MLPClassifier output")
    second = expect_tensor(model(x), shape=(12, NUM_CLASSES), name="MLPClassifier output")
    assert torch.equal(first, second), (
        "in eval() mode two forward passes of the same batch gave different logits: dropout "
        "must be off in eval mode (nn.Dropout does this; F.dropout needs training=self.training)"
    )
    alone = expect_tensor(model(x[3:4]), shape=(1, NUM_CLASSES), name="MLPClassifier output")
    assert torch.allclose(alone[0], first[3], rtol=1e-4, atol=1e-5), (
        "in eval() mode an image's logits change with the other images in its batch: the "
        "model must treat each image on its own"
    )


@number("2.1")
@weight(6)
def test_initial_logit_spread(student: RemotePackage) -> None:
    """At initialisation a deep MLP's logits vary across images at a sensible scale"""
    low, high = INIT_SPREAD_BAND
    model = student.models.MLPClassifier(hidden_dims=(384, 256, 256, 128), dropout=0.0).eval()
    logits = expect_tensor(
        model(_images(64, seed=5)), shape=(64, NUM_CLASSES), name="MLPClassifier output"
    )
    spread = logits.std(dim=0).mean().item()  # per-class std across the batch, averaged
    assert spread >= low, (
        f"at initialisation the logits barely change from image to image (spread {spread:.3g}, "
        f"expected at least {low}): the signal shrinks layer after layer. Initialise every "
        "Linear weight with Kaiming (or Xavier) scaling, never with zeros"
    )
    assert spread <= high, (
        f"at initialisation the logits are huge (spread {spread:.3g}, expected at most {high}): "
        "scale each Linear weight by its fan-in (Kaiming or Xavier)"
    )


@number("2.2")
@weight(6)
def test_every_parameter_gets_a_gradient(student: RemotePackage) -> None:
    """After one backward pass every parameter has a non-zero gradient"""
    model = student.models.MLPClassifier(hidden_dims=(32, 16), dropout=0.0).train()
    weights = torch.randn(8, NUM_CLASSES, generator=torch.Generator().manual_seed(6))
    grads = model.gradients(_images(8, seed=7), weights=weights)
    expect_tensor(grads.output, shape=(8, NUM_CLASSES), name="MLPClassifier output")
    assert grads.params, "MLPClassifier has no parameters"
    for name, grad in grads.params.items():
        assert grad is not None, (
            f"parameter {name} received no gradient: it is not used in forward, or its "
            "output is detached from the graph"
        )
        grad = expect_tensor(grad, name=f"gradient of {name}")
        assert grad.abs().max().item() > 0, (
            f"parameter {name} received an all-zero gradient: are some weights initialised "
            "to zero? Every unit then computes the same thing and nothing flows back"
        )
