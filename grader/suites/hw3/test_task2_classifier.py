"""Task 2: CNNClassifier, blocks + global average pooling + a linear head (30 points)."""

from __future__ import annotations

import torch

from grader.suitekit import (
    StudentException,
    expect_eval_mode_independence,
    expect_int,
    expect_tensor,
    number,
    running_stats,
    weight,
)

MAX_PARAMETERS = 500_000  # stated in the handout, for the default layers
TOLERANCE = 1e-4


def images(batch: int, height: int, width: int, seed: int) -> torch.Tensor:
    """(B, 3, H, W) float32 in [0, 1], like the course images."""
    gen = torch.Generator().manual_seed(seed)
    return torch.rand(batch, 3, height, width, generator=gen)


def logits_of(model, x: torch.Tensor) -> torch.Tensor:
    return expect_tensor(
        model(x),
        shape=(x.shape[0], 6),
        dtype=torch.float32,
        name=f"CNNClassifier output for {x.shape[-2]}x{x.shape[-1]} images",
    )


@number("2.1")
@weight(5)
def test_output_shape(student):
    """CNNClassifier returns float32 (B, 6) logits for 64x64 images"""
    model = student.models.CNNClassifier()
    for k, batch in enumerate((2, 5)):
        logits_of(model, images(batch, 64, 64, seed=10 + k))
    model.eval()
    logits_of(model, images(1, 64, 64, seed=12))


@number("2.2")
@weight(5)
def test_any_input_size(student):
    """CNNClassifier accepts 32x32 and 96x128 images too (global average pooling)"""
    model = student.models.CNNClassifier().eval()
    for k, (height, width) in enumerate(((32, 32), (96, 128))):
        try:
            logits_of(model, images(2, height, width, seed=20 + k))
        except StudentException as exc:  # name the idea the test is about, then the error
            raise StudentException(
                f"CNNClassifier fails on {height}x{width} images (global average pooling, "
                f"not flattening, makes the head work for any size): {exc.student_message}",
                exc.detail,
                exc_type=exc.exc_type,
            ) from None


@number("2.3")
@weight(4)
def test_layers(student):
    """CNNClassifier is built from Blocks, Conv2d and BatchNorm2d, with no bias before a BN"""
    model = student.models.CNNClassifier()
    infos = model.submodules()
    kinds = {info.torch_type for info in infos}
    assert "Conv2d" in kinds and "BatchNorm2d" in kinds, (
        "CNNClassifier needs nn.Conv2d and nn.BatchNorm2d layers"
    )
    assert any(info.type_name.rsplit(".", 1)[-1] == "Block" for info in infos), (
        "CNNClassifier should use your Block from Task 1"
    )
    biased = [
        info.name
        for info in infos
        if info.torch_type == "Conv2d" and "bias=False" not in info.extra_repr
    ]
    assert not biased, (
        f"{len(biased)} convolution(s) have a bias, e.g. {biased[0]!r}: the handout asks "
        "for bias=False on every convolution, as each feeds a BatchNorm whose shift makes a "
        "bias redundant"
    )


@number("2.4")
@weight(4)
def test_parameter_budget(student):
    """CNNClassifier() has at most 500,000 parameters"""
    count = expect_int(
        student.models.CNNClassifier().parameter_count(), name="parameter count", minimum=1
    )
    assert count <= MAX_PARAMETERS, (
        f"CNNClassifier() has {count:,} parameters, over the budget of {MAX_PARAMETERS:,}: "
        "use narrower layers or fewer blocks"
    )


@number("2.5")
@weight(4)
def test_input_normalisation(student):
    """CNNClassifier normalises its input with input_mean / input_std buffers"""
    mean, std = [0.2, 0.5, 0.7], [0.3, 0.15, 0.4]
    model = student.models.CNNClassifier(input_mean=mean, input_std=std).eval()
    buffers = model.named_buffers()
    for name, want in (("input_mean", mean), ("input_std", std)):
        assert name in buffers, f"CNNClassifier has no buffer named {name!r} (register_buffer)"
        got = expect_tensor(buffers[name], shape=(3,), name=f"buffer {name!r}")
        assert torch.allclose(got.double(), torch.tensor(want, dtype=torch.float64), atol=1e-6), (
            f"buffer {name!r} holds {got.tolist()}, expected the {name} given to the constructor"
        )
    # The same weights with mean 0 / std 1 must give the same logits on normalised input.
    state = model.state_dict()
    plain = student.models.CNNClassifier().eval()
    plain.load_state_dict({**state, "input_mean": torch.zeros(3), "input_std": torch.ones(3)})
    x = images(4, 64, 64, seed=25)
    shift = torch.tensor(mean)[None, :, None, None]
    scale = torch.tensor(std)[None, :, None, None]
    got, want = logits_of(model, x), logits_of(plain, (x - shift) / scale)
    assert torch.allclose(got, want, atol=TOLERANCE, rtol=TOLERANCE), (
        "CNNClassifier(input_mean, input_std) should compute (x - input_mean) / input_std per "
        "channel before its first layer"
    )


@number("2.6")
@weight(4)
def test_batch_norm_in_train_mode(student):
    """In train mode BatchNorm updates its running statistics and uses batch statistics"""
    model = student.models.CNNClassifier().train()
    before = running_stats(model, "CNNClassifier")
    x = images(6, 64, 64, seed=30)
    first = logits_of(model, x)[0]
    after = running_stats(model, "CNNClassifier")
    assert any(not torch.equal(before[k], after[k]) for k in before), (
        "a forward pass in train mode left every BatchNorm running statistic unchanged"
    )
    other = torch.cat([x[:1], images(5, 64, 64, seed=31)])  # same first image, new batchmates
    assert not torch.allclose(first, logits_of(model, other)[0], atol=1e-6, rtol=1e-6), (
        "in train mode an image's logits should depend on the rest of its batch (BatchNorm "
        "normalises with the batch's statistics)"
    )


@number("2.7")
@weight(4)
def test_batch_norm_in_eval_mode(student):
    """In eval mode BatchNorm statistics stay fixed and images are scored independently"""
    expect_eval_mode_independence(
        student.models.CNNClassifier(),
        "CNNClassifier",
        logits_of,
        warm_up=images(8, 64, 64, seed=40),
        probe=images(4, 64, 64, seed=41),
        why="in eval mode nothing may depend on the rest of the batch (BatchNorm uses its "
        "running statistics, input normalisation the input_mean / input_std buffers)",
        tolerance=TOLERANCE,
    )
