"""Task 3: the FCN, per-pixel logits for images of any size (30 points).

Layer names are the student's own: layers are found through `submodules()` and BatchNorms
through their state_dict entries.
"""

from __future__ import annotations

import torch

from grader.suitekit import (
    StudentException,
    batch_norms,
    expect_eval_mode_independence,
    expect_int,
    expect_tensor,
    number,
    randomised,
    running_stats,
    state_dict_of,
    weight,
    zeroed,
)

MIN_PARAMETERS, MAX_PARAMETERS = 10_000, 500_000  # stated in the handout
TOLERANCE = 1e-4


def images(batch: int, height: int, width: int, seed: int) -> torch.Tensor:
    """(B, 3, H, W) float32 in [0, 1], like the course scenes."""
    gen = torch.Generator().manual_seed(seed)
    return torch.rand(batch, 3, height, width, generator=gen)


def logits_of(model, x: torch.Tensor) -> torch.Tensor:
    b, _, h, w = x.shape
    return expect_tensor(
        model(x), shape=(b, 5, h, w), dtype=torch.float32, name=f"FCN output for {h}x{w} images"
    )


@number("3.1")
@weight(5)
def test_output_shape(student):
    """FCN returns float32 (B, 5, H, W) logits for 96x128 and 64x64 images"""
    model = student.models.FCN()
    logits_of(model, images(2, 96, 128, seed=10))
    model.eval()
    logits_of(model, images(1, 96, 128, seed=11))
    logits_of(model, images(3, 64, 64, seed=12))


# 1x1 to 512x512, thin (32x1, 2x16) and sizes the strides do not divide, as in UT Austin's
# CS342 FCN grader; one call each, batch 1 (512x512 is the costly one, well under a second)
ANY_SIZES = (
    (1, 1),
    (2, 2),
    (4, 4),
    (8, 8),
    (16, 16),
    (32, 32),
    (64, 64),
    (128, 128),
    (256, 256),
    (512, 512),
    (32, 1),
    (2, 16),
    (50, 70),
    (33, 47),
    (36, 17),
)


@number("3.2")
@weight(5)
def test_any_input_size(student):
    """FCN output matches the input size for 15 sizes from 1x1 to 512x512 (e.g. 32x1, 50x70)"""
    model = student.models.FCN().eval()
    for k, (height, width) in enumerate(ANY_SIZES):
        try:
            logits_of(model, images(1, height, width, seed=20 + k))
        except StudentException as exc:  # name the size, then the student's own error
            raise StudentException(
                f"FCN fails on {height}x{width} images (crop or pad the up-convolutions' "
                f"output to the skip's size, so any size works): {exc.student_message}",
                exc.detail,
                exc_type=exc.exc_type,
            ) from None


def strided_convs(infos) -> int:
    return sum(info.torch_type == "Conv2d" and "stride=(2, 2)" in info.extra_repr for info in infos)


@number("3.3")
@weight(4)
def test_layers(student):
    """FCN downsamples with stride-2 convs, upsamples with ConvTranspose2d, uses BatchNorm2d"""
    infos = student.models.FCN().submodules()
    kinds = [info.torch_type for info in infos]
    assert strided_convs(infos) >= 2, (
        f"FCN has {strided_convs(infos)} nn.Conv2d with stride 2; it needs at least two "
        "stride-2 convolutions to downsample"
    )
    assert "ConvTranspose2d" in kinds, (
        "FCN has no nn.ConvTranspose2d: upsample with up-convolutions (stride 2)"
    )
    assert "BatchNorm2d" in kinds, "FCN has no nn.BatchNorm2d"


@number("3.4")
@weight(3)
def test_parameter_count(student):
    """FCN() has between 10,000 and 500,000 parameters"""
    count = expect_int(student.models.FCN().parameter_count(), name="parameter count", minimum=1)
    assert MIN_PARAMETERS <= count <= MAX_PARAMETERS, (
        f"FCN() has {count:,} parameters, outside {MIN_PARAMETERS:,} to {MAX_PARAMETERS:,}: "
        "too few cannot learn the scenes, too many cannot train within the CPU budget"
    )


@number("3.5")
@weight(5)
def test_skip_connections(student):
    """Skip connections: silencing one BatchNorm rarely cuts the output off from the input"""
    model = student.models.FCN().eval()
    state = randomised(state_dict_of(model, "FCN()"), seed=35)
    x1, x2 = images(2, 32, 48, seed=36), images(2, 32, 48, seed=37)
    norms = batch_norms(state)
    cut = []
    for bn in norms:
        model.load_state_dict(zeroed(state, bn))
        if torch.allclose(logits_of(model, x1), logits_of(model, x2), atol=1e-6, rtol=0):
            cut.append(bn.prefix)
    assert 2 * len(cut) < len(norms), (
        f"silencing any one of {len(cut)} of the FCN's {len(norms)} BatchNorm layers (e.g. "
        f"{cut[0]!r}) makes its output the same for every image: everything passes through "
        "one path. Concatenate each up block's output with the encoder's map of the same "
        "size (skip connections), so detail reaches the output around the deep layers"
    )


@number("3.6")
@weight(2)
def test_gradients_reach_every_layer(student):
    """Gradients reach the input and every convolution's weights, the first layer's included"""
    model = student.models.FCN()
    x = images(2, 32, 48, seed=40)
    gen = torch.Generator().manual_seed(41)
    grads = model.gradients(x, weights=torch.randn(2, 5, 32, 48, generator=gen))
    expect_tensor(grads.output, shape=(2, 5, 32, 48), name="FCN output")
    grad_x = grads.inputs[0]
    assert grad_x is not None, "the FCN's output does not depend on its input"
    grad_x = expect_tensor(grad_x, shape=tuple(x.shape), name="gradient of the input")
    assert bool(grad_x.abs().sum() > 0), "no gradient reaches the FCN's input"
    shapes = {k: v.shape for k, v in model.named_parameters().items()}
    dead = [
        k
        for k, shape in shapes.items()
        if len(shape) == 4
        and (grads.params.get(k) is None or not bool(grads.params[k].abs().sum() > 0))
    ]
    assert not dead, (
        f"{len(dead)} convolution weights get no gradient, e.g. {dead[0]!r}: every layer "
        "must be used in forward (and none detached)"
    )


@number("3.7")
@weight(3)
def test_batch_norm_in_train_mode(student):
    """In train mode BatchNorm updates its running statistics"""
    model = student.models.FCN().train()
    before = running_stats(model, "FCN")
    logits_of(model, images(4, 48, 64, seed=50))
    after = running_stats(model, "FCN")
    assert any(not torch.equal(before[k], after[k]) for k in before), (
        "a forward pass in train mode left every BatchNorm running statistic unchanged"
    )


@number("3.8")
@weight(3)
def test_batch_norm_in_eval_mode(student):
    """In eval mode the FCN is deterministic and scores every image on its own"""
    expect_eval_mode_independence(
        student.models.FCN(),
        "FCN",
        logits_of,
        warm_up=images(6, 48, 64, seed=60),
        probe=images(3, 48, 64, seed=61),
        why="BatchNorm should use its running statistics, not the batch's",
        tolerance=TOLERANCE,
    )
