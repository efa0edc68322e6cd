"""Homework 3, public graded suite: `make grade HW=hw3` in the student release.

It runs through the same engine as the hidden suite (your code in a sandboxed worker, the
same time budget for `train`) and gives each task the handout's points, but it checks
fewer cases and scores accuracy on the *validation* split you have. Its total is an
estimate: the hidden suite, with more checks and hidden test data, decides the grade.
"""

from __future__ import annotations

import pytest
import torch

from grader.suitekit import (
    StudentException,
    band_points,
    batch_norms,
    constant,
    evaluate_classifier,
    expect_image_logits,
    expect_int,
    expect_tensor,
    number,
    partial_credit,
    randomised,
    state_dict_of,
    train_student,
    weight,
    zeroed,
)

BUDGET_UNITS = 150  # the same training budget as the hidden suite
VALID_LOW, VALID_HIGH = 0.78, 0.90  # the reference reaches 0.965 on validation (0.923 on test)
MAX_PARAMETERS = 500_000
TOL = 1e-4
# Block(c_in, c_out, stride) on size x size inputs gives side x side outputs
BLOCK_CASES = ((8, 8, 1, 16, 16), (16, 8, 1, 9, 9), (8, 8, 2, 16, 8), (8, 16, 2, 15, 8))


def _noise(*shape: int, seed: int) -> torch.Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


def _images(batch: int, height: int, width: int, seed: int) -> torch.Tensor:
    return torch.rand(batch, 3, height, width, generator=torch.Generator().manual_seed(seed))


def _bn_stats(model) -> dict[str, torch.Tensor]:
    buffers = model.named_buffers().items()
    return {k: v for k, v in buffers if k.endswith(("running_mean", "running_var"))}


@number("1.1")
@partial_credit(15)
def test_block_shapes_and_downsample(student, set_score):
    """Task 1: Block output shapes at stride 1 and 2; a 1x1 conv + BN skip only when needed"""
    points, problems = 0.0, []
    for c_in, c_out, stride, size, side in BLOCK_CASES:
        what = f"Block({c_in}, {c_out}, stride={stride})"
        block = student.models.Block(c_in, c_out, stride)
        try:
            y = expect_tensor(block(_noise(2, c_in, size, size, seed=size)), name=what)
            want = (2, c_out, side, side)
            assert tuple(y.shape) == want, f"gives {tuple(y.shape)}, expected {want}"
            points += 2.5
        except (StudentException, AssertionError) as exc:
            problems.append(f"{what} on {size}x{size} inputs: {exc}")
        kinds = [(m.torch_type, "kernel_size=(1, 1)" in m.extra_repr) for m in block.submodules()]
        skip = stride != 1 or c_in != c_out  # the shape changes: a 1x1 conv + BN skip
        if (kinds.count(("Conv2d", True)), kinds.count(("BatchNorm2d", False))) == (skip, 2 + skip):
            points += 1.25
        else:
            problems.append(f"{what} should have {'a' if skip else 'no'} 1x1 conv + BN skip")
    set_score(points)
    assert points == 15, "; ".join(problems)


@number("1.2")
@partial_credit(15)
def test_block_adds_its_input(student, set_score):
    """Task 1: with its main path giving a constant c, Block(8, 8) computes relu(x + c)"""
    block = student.models.Block(8, 8, 1).eval()
    state = randomised(state_dict_of(block, "Block(8, 8)"), seed=3)
    x = _noise(2, 8, 6, 6, seed=4)
    c = torch.tensor([-0.7, 0.4, -0.2, 0.9, -1.1, 0.3, 0.0, -0.5])  # < 0: shows an early ReLU
    want = torch.relu(x + c.view(1, 8, 1, 1))
    value_ok = gradient_ok = False
    for bn in batch_norms(state):  # your layer names are your own: try each BatchNorm
        block.load_state_dict(constant(state, bn, c))
        value_ok |= torch.allclose(expect_tensor(block(x), name="Block output"), want, atol=TOL)
        block.load_state_dict(zeroed(state, bn))  # c = 0: d sum(output) / dx is relu'(x)
        grad = block.gradients(x).inputs[0]  # (or 1 with the ReLU misplaced: the value's part)
        if grad is not None and grad.shape == x.shape:
            gradient_ok |= any(torch.allclose(grad, g) for g in ((x > 0).float(), x * 0 + 1))
    set_score(8.0 * value_ok + 7.0 * gradient_ok)
    assert value_ok, (
        "the output is not relu(main path + x): the main path ends with its second BatchNorm "
        "(no ReLU), add the input x to it, then apply the ReLU"
    )
    assert gradient_ok, "no gradient reaches x through the skip path: is x detached or scaled?"


@number("2.1")
@partial_credit(15)
def test_classifier_outputs_and_layers(student, set_score):
    """Task 2: CNNClassifier gives (B, 6) logits for any image size, within its budget"""
    model = student.models.CNNClassifier()
    expect_tensor(model(_images(3, 64, 64, seed=5)), shape=(3, 6), dtype=torch.float32)
    points, problems = 5.0, []
    for height, width in ((32, 32), (96, 128)):
        try:
            expect_tensor(model.eval()(_images(2, height, width, seed=height)), shape=(2, 6))
            points += 2.5
        except StudentException as exc:
            problems.append(f"{height}x{width} images fail (pool, do not flatten): {exc}")
    infos = model.submodules()
    convs = [m.extra_repr for m in infos if m.torch_type == "Conv2d"]
    if any(m.type_name.rsplit(".", 1)[-1] == "Block" for m in infos):
        points += 1.25
    else:
        problems.append("build it from your Block of Task 1")
    if convs and all("bias=False" in r for r in convs):
        points += 1.25
    else:
        problems.append("every convolution feeds a BatchNorm: give it bias=False")
    count = expect_int(model.parameter_count(), name="parameter count", minimum=1)
    if count <= MAX_PARAMETERS:
        points += 2.5
    else:
        problems.append(f"{count:,} parameters: at most {MAX_PARAMETERS:,}, use narrower layers")
    set_score(points)
    assert points == 15, "; ".join(problems)


@number("2.2")
@partial_credit(15)
def test_classifier_normalisation_and_modes(student, set_score):
    """Task 2: input normalisation buffers; BatchNorm in train mode and in eval mode"""
    mean, std = torch.tensor([0.4, 0.3, 0.6]), torch.tensor([0.2, 0.25, 0.1])
    plain = student.models.CNNClassifier().eval()
    model = student.models.CNNClassifier(input_mean=mean.tolist(), input_std=std.tolist()).eval()
    buffers, problems = model.named_buffers(), []
    stored = [buffers.get(name) for name in ("input_mean", "input_std")]
    ok = all(b is not None and b.shape == (3,) for b in stored)
    ok = ok and torch.allclose(torch.stack(stored).double(), torch.stack([mean, std]).double())
    if ok:
        model.load_state_dict({**plain.state_dict(), "input_mean": mean, "input_std": std})
        z = _images(2, 64, 64, seed=6)
        x = z * std.view(1, 3, 1, 1) + mean.view(1, 3, 1, 1)  # normalises back to z
        ok = torch.allclose(expect_tensor(model(x)), expect_tensor(plain(z)), atol=TOL)
    if not ok:
        problems.append("keep input_mean / input_std as (3,) buffers; apply (x - mean) / std")
    points = 5.0 * ok
    model.train()
    before, x = _bn_stats(model), _images(6, 64, 64, seed=7)
    first = expect_tensor(model(x))[0]
    changed = any(not torch.equal(v, _bn_stats(model)[k]) for k, v in before.items())
    mates = torch.cat([x[:1], _images(5, 64, 64, seed=8)])
    if changed and not torch.allclose(first, expect_tensor(model(mates))[0], atol=1e-6):
        points += 5.0
    else:
        problems.append("in train mode BatchNorm must use the batch and update running stats")
    model.eval()
    before, x = _bn_stats(model), _images(3, 64, 64, seed=9)
    together = expect_tensor(model(x))
    alone = torch.cat([expect_tensor(model(x[i : i + 1])) for i in range(3)])
    fixed = bool(before) and all(torch.equal(v, _bn_stats(model)[k]) for k, v in before.items())
    if fixed and torch.allclose(together, alone, atol=TOL):
        points += 5.0
    else:
        problems.append("in eval mode use the running stats: model(x)[i] must be model(x[i:i+1])")
    set_score(points)
    assert points == 15, "; ".join(problems)


def _image_of(sample, label: int) -> torch.Tensor | None:
    """The float32 (3, 64, 64) image in [0, 1] of a pair (image, label); None if not one."""
    if not isinstance(sample, (tuple, list)) or len(sample) != 2:
        return None
    image, kept = sample
    if type(kept) is not int or kept != label or type(image) is not torch.Tensor:
        return None
    ok = image.shape == (3, 64, 64) and image.dtype == torch.float32
    return image if ok and bool(image.min() >= 0) and bool(image.max() <= 1) else None


@number("3.1")
@pytest.mark.timeout(40)  # a fresh worker imports torchvision: seconds on a busy machine
@weight(5)
def test_channel_stats(student):
    """Task 3: channel_stats returns each channel's mean and population std"""
    images = torch.rand(3, 3, 5, 4, generator=torch.Generator().manual_seed(10))
    images = images * torch.tensor([0.3, 1.0, 0.1]).view(1, 3, 1, 1)
    pixels = images.permute(1, 0, 2, 3).reshape(3, -1).double()  # (C, N * H * W)
    pair = student.transforms.channel_stats(images)
    assert isinstance(pair, (tuple, list)) and len(pair) == 2, "return a pair (mean, std)"
    mean = expect_tensor(pair[0], shape=(3,), name="channel_stats mean")
    std = expect_tensor(pair[1], shape=(3,), name="channel_stats std")
    assert torch.allclose(mean.double(), pixels.mean(1), atol=1e-5), (
        "the mean is wrong: average each channel over all images, rows and columns"
    )
    assert torch.allclose(std.double(), pixels.var(1, correction=0).sqrt(), atol=1e-5), (
        "the std is wrong: the population std of each channel (divide by the count, not "
        "the count minus one)"
    )


@number("3.2")
@pytest.mark.timeout(40)
@partial_credit(10)
def test_pipelines(student, set_score):
    """Task 3: train_transform augments at random; valid_transform only scales to [0, 1]"""
    image = torch.randint(0, 256, (3, 64, 64), generator=torch.Generator().manual_seed(11))
    image = image.to(torch.uint8)
    image[:, 4:12, 6:40] = 255  # a bar off-centre: flips and crops move it
    augment, plain = student.transforms.train_transform(), student.transforms.valid_transform()
    draws = [_image_of(augment(image, 4), 4) for _ in range(8)]
    random_ok = all(d is not None for d in draws) and any(
        not torch.equal(draws[0], d) for d in draws[1:]
    )
    first, again = (_image_of(plain(image, 2), 2) for _ in range(2))
    valid_ok = first is not None and again is not None and torch.equal(first, again)
    valid_ok = valid_ok and torch.allclose(first, image.float() / 255, atol=1e-6)
    set_score(5.0 * random_ok + 5.0 * valid_ok)
    assert random_ok, (
        "train_transform() must return (a float32 image in [0, 1] of the same shape, the "
        "same label), the image changed at random from call to call"
    )
    assert valid_ok, (
        "valid_transform() must return (the image / 255 as float32, the same label), "
        "the same every time: no augmentation at evaluation"
    )


@number("4")
@partial_credit(25)
def test_training_reaches_validation_accuracy(student, grader_session, set_score, record_property):
    """Task 4: train returns a CNNClassifier in eval mode; its validation accuracy (band)"""
    trained = train_student(grader_session, budget_units=BUDGET_UNITS)
    try:
        model = trained.require()
        in_eval_mode = model.training is False  # read before anything calls eval()
        expect_image_logits(model, seed=44)
        accuracy = evaluate_classifier(trained, "images", "valid")
    finally:
        trained.close()
    record_property("accuracy", round(accuracy, 4))
    band = band_points(accuracy, low=VALID_LOW, high=VALID_HIGH, points=19)
    set_score(3 + 3 * in_eval_mode + band)
    assert in_eval_mode, "train returned the model in train mode: call model.eval() first"
    assert accuracy >= VALID_HIGH, (
        f"validation accuracy {accuracy:.3f}: full credit from {VALID_HIGH} (check "
        "train_log.txt; tune the learning rate, the epochs or the augmentation)"
    )
