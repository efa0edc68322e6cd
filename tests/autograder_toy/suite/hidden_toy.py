"""Hidden suite of the toy homework (copied to test_toy.py by make_toy)."""

import torch
from gradescope_utils.autograder_utils.decorators import leaderboard, number, weight

from grader.checks import expect_tensor


@number("1.1")
@weight(1)
def test_double(student):
    """double doubles"""
    x = torch.arange(6, dtype=torch.float32).reshape(2, 3)
    y = expect_tensor(student.ops.double(x), shape=(2, 3), dtype=torch.float32, name="double")
    assert torch.equal(y, 2 * x), "double(x) is not 2 * x"


@number("1.2")
@weight(2)
def test_shift(student):
    """shift adds a constant"""
    x = torch.ones(4)
    y = expect_tensor(student.ops.shift(x, 1.5), shape=(4,), dtype=torch.float32, name="shift")
    assert torch.allclose(y, x + 1.5), "shift(x, 1.5) is not x + 1.5"


@number("1.3")
@weight(0)
@leaderboard("toy accuracy")
def test_board(student, set_leaderboard_value=None):
    """leaderboard entry"""
    y = expect_tensor(student.ops.double(torch.ones(2)), shape=(2,), name="double")
    set_leaderboard_value(float(y.sum()) / 4.0)
