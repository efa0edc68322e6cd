"""Hidden suite of the victim homework (4 points, 2 s per worker call)."""

from pathlib import Path

import numpy as np
import pytest
import torch
from gradescope_utils.autograder_utils.decorators import number, weight
from safetensors.torch import load as load_safetensors

from grader.checks import expect_tensor
from grader.suitekit import read_worker_file

HIDDEN = Path(__file__).resolve().parents[1] / "hidden"

pytestmark = pytest.mark.timeout(2)


@number("1")
@weight(1)
def test_double(student):
    """double returns 2 * x"""
    x = torch.randn(5, 4)
    y = expect_tensor(
        student.models.double(x), shape=(5, 4), dtype=torch.float32, name="double output"
    )
    assert torch.allclose(y, 2 * x), "double returns wrong values"


@number("2")
@weight(1)
def test_classify(student):
    """classify is right on every hidden input"""
    inputs = torch.from_numpy(np.load(HIDDEN / "inputs.npy"))
    labels = torch.from_numpy(np.load(HIDDEN / "labels.npy"))  # stays in the parent
    pred = expect_tensor(
        student.models.classify(inputs),
        shape=labels.shape,
        dtype=torch.int64,
        name="classify output",
    )
    assert bool((pred == labels).all()), "classify is wrong on some hidden inputs"


@number("3.1")
@weight(1)
def test_model_shape(student):
    """Model maps (B, 4) to (B, 3)"""
    model = student.models.Model()
    expect_tensor(model(torch.rand(2, 4)), shape=(2, 3), dtype=torch.float32, name="Model output")


@number("3.2")
@weight(1)
def test_save_load(student, grader_session, exchange_dir):
    """weights saved as safetensors load back in a fresh worker"""
    path = exchange_dir / "model.safetensors"
    x = torch.rand(3, 4)
    model = student.models.Model()
    expected = expect_tensor(model(x), shape=(3, 3), name="Model output")
    student.models.save_model(model, str(path))
    tensors = load_safetensors(read_worker_file(path, max_bytes=1 << 20, root=exchange_dir))
    assert set(tensors) == {"fc.weight", "fc.bias"}, "unexpected tensors in the weights file"
    with grader_session.spawn() as other:
        loaded = other.models.load_model(str(path))
        got = expect_tensor(loaded(x), shape=(3, 3), name="loaded Model output")
    assert torch.allclose(got, expected), "the loaded model computes something else"
