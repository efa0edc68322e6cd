"""Task 1: the residual Block, relu(conv-BN-ReLU-conv-BN(x) + skip(x)) (30 points).

The residual tests set one BatchNorm's weight to 0 (through load_state_dict) and look for
the one that silences the main path: the block must then compute its skip path alone.
Layer names are the student's own, so BatchNorms are found by their state_dict entries.
Each idea is scored once: the shape tests check shapes only, where the final ReLU sits is
1.4's question alone (1.5 and 1.6 accept the skip with or without a ReLU after it).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from grader.suitekit import (
    BatchNormEntry,
    batch_norm_eval,
    batch_norms,
    constant,
    expect_tensor,
    number,
    randomised,
    state_dict_of,
    weight,
    zeroed,
)

TOLERANCE = 1e-4


def features(batch: int, channels: int, size: int, seed: int) -> torch.Tensor:
    """(B, C, size, size) float32 feature maps with both signs, as inside a network."""
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(batch, channels, size, size, generator=gen)


def block_output(block, x: torch.Tensor, shape: tuple[int, ...], what: str) -> torch.Tensor:
    return expect_tensor(block(x), shape=shape, dtype=torch.float32, name=f"{what} output")


def check_shape(student, n_input: int, n_output: int, stride: int, size: int, out: int) -> None:
    what = f"Block({n_input}, {n_output}, stride={stride})"
    block = student.models.Block(n_input, n_output, stride)
    block_output(block, features(2, n_input, size, seed=size), (2, n_output, out, out), what)


@number("1.1")
@weight(5)
def test_shape_stride_1(student):
    """Block keeps H x W at stride 1, with the same or more channels"""
    check_shape(student, 8, 8, 1, 16, 16)
    check_shape(student, 8, 16, 1, 16, 16)
    check_shape(student, 16, 8, 1, 9, 9)


@number("1.2")
@weight(5)
def test_shape_stride_2(student):
    """Block halves H x W at stride 2 (rounding up), with the same or more channels"""
    check_shape(student, 8, 8, 2, 16, 8)
    check_shape(student, 8, 16, 2, 16, 8)
    check_shape(student, 8, 16, 2, 15, 8)


def one_by_one_convs(block) -> int:
    return sum(
        info.torch_type == "Conv2d" and "kernel_size=(1, 1)" in info.extra_repr
        for info in block.submodules()
    )


@number("1.3")
@weight(5)
def test_downsample_exactly_when_needed(student):
    """Block has a 1x1 conv + BN skip path exactly when the stride or channels change"""
    for n_input, n_output, stride in ((8, 8, 1), (8, 16, 1), (8, 8, 2), (8, 16, 2)):
        what = f"Block({n_input}, {n_output}, stride={stride})"
        block = student.models.Block(n_input, n_output, stride)
        needed = stride != 1 or n_input != n_output
        convs = one_by_one_convs(block)
        norms = sum(info.torch_type == "BatchNorm2d" for info in block.submodules())
        if needed:
            assert convs == 1 and norms == 3, (
                f"{what} has {convs} 1x1 convolutions and {norms} BatchNorm2d layers; the "
                "shape changes, so the block needs exactly one 1x1 conv and three BatchNorms "
                "(two in the main path, one after the 1x1 conv of the downsample skip)"
            )
        else:
            assert convs == 0 and norms == 2, (
                f"{what} has {convs} 1x1 convolutions and {norms} BatchNorm2d layers; the "
                "shape is kept, so the skip is the identity: no 1x1 conv, and only the two "
                "BatchNorms of the main path"
            )


def silenced_outputs(block, state, x, shape, what, shift=None):
    """(BatchNorm, output) for each BatchNorm of the block's width in turn set to output the
    constant `shift` per channel (0 if None), in eval mode."""
    block.eval()
    for bn in batch_norms(state):
        if bn.channels != shape[1]:
            continue
        value = torch.zeros(bn.channels) if shift is None else shift
        block.load_state_dict(constant(state, bn, value))
        yield bn, block_output(block, x, shape, what)


def identity_block(student, seed: int):
    block = student.models.Block(8, 8, 1)
    state = randomised(state_dict_of(block, "Block(8, 8, stride=1)"), seed)
    return block, state


def close(a: torch.Tensor, b: torch.Tensor) -> bool:
    return torch.allclose(a, b.float(), atol=TOLERANCE, rtol=TOLERANCE)


@number("1.4")
@weight(6)
def test_identity_skip(student):
    """With its main path set to a constant c, a Block(8, 8, stride=1) computes relu(x + c)"""
    block, state = identity_block(student, seed=41)
    x = features(3, 8, 12, seed=42)
    c = torch.linspace(-1.0, 1.0, 8)  # both signs: a ReLU before the addition shows
    cc = c[None, :, None, None]
    other_designs = {
        "relu(main) + x: the final ReLU must come after the addition": torch.relu(cc) + x,
        "main + x with no ReLU: apply the ReLU after the addition": x + cc,
        "the main path ends in a ReLU before the addition: the last BatchNorm of the main "
        "path is added to x, then the ReLU": torch.relu(torch.relu(cc) + x),
        "relu(main) alone: add the input x itself (the identity skip) to the main path": torch.relu(
            cc
        ).expand_as(x),
    }
    found = None
    for _, y in silenced_outputs(block, state, x, (3, 8, 12, 12), "Block(8, 8, stride=1)", c):
        if close(y, torch.relu(x + cc)):
            return
        found = found or next((m for m, v in other_designs.items() if close(y, v)), None)
    raise AssertionError(
        "Block(8, 8, stride=1) never computed relu(x + c) when the last BatchNorm of its main "
        "path outputs a constant c"
        + (
            f"; it computes {found}"
            if found
            else ": add the input x itself to the main path, then apply the ReLU"
        )
    )


@number("1.5")
@weight(5)
def test_downsample_skip(student):
    """With its last BatchNorm silenced, a Block(8, 16, stride=2) computes relu(BN(conv1x1(x)))"""
    what = "Block(8, 16, stride=2)"
    block = student.models.Block(8, 16, 2)
    state = randomised(state_dict_of(block, what), seed=51)
    convs = [v for v in state.values() if v.shape == (16, 8, 1, 1)]
    x = features(3, 8, 12, seed=52)
    for silenced, y in silenced_outputs(block, state, x, (3, 16, 6, 6), what):
        others = [bn for bn in batch_norms(state) if bn != silenced and bn.channels == 16]
        for w in convs:
            skip = F.conv2d(x.double(), w.double(), stride=2)  # (3, 16, 6, 6)
            for bn in others:
                expected = batch_norm_eval(skip, state, bn)
                if close(y, torch.relu(expected)) or close(y, expected):  # ReLU: 1.4's idea
                    return
    raise AssertionError(
        f"{what} never computed BN(conv1x1(x)) through its skip path when the last BatchNorm "
        "of its main path outputs zeros: the skip path should be a 1x1 conv with stride 2 "
        "and no bias, then a BatchNorm, added to the main path"
    )


def gradient_through_skip(block, state, bn: BatchNormEntry, x):
    block.load_state_dict(zeroed(state, bn))
    grads = block.gradients(x)
    return expect_tensor(
        grads.inputs[0],
        shape=tuple(x.shape),
        dtype=torch.float32,
        name="gradient of the block's input",
    )


@number("1.6")
@weight(4)
def test_gradient_through_skip(student):
    """Gradients reach a Block's input through the skip path alone"""
    block, state = identity_block(student, seed=61)
    block.eval()
    x = features(2, 8, 10, seed=62)
    through_relu = (x > 0).float()  # d/dx sum(relu(x))
    direct = torch.ones_like(x)  # d/dx sum(x): a ReLU before the addition (1.4's idea)
    for bn in batch_norms(state):
        if bn.channels != 8:
            continue
        grad = gradient_through_skip(block, state, bn, x)
        if close(grad, through_relu) or close(grad, direct):
            return
    raise AssertionError(
        "with the main path silenced, the gradient of Block(8, 8, stride=1) with respect to "
        "its input is neither that of relu(x) nor of x: the input's gradient does not flow "
        "through the skip connection (is x detached, scaled, or not added?)"
    )
