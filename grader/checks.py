"""Checks on values that came back from the student's code, before any assertion uses them.

Each returns the value when it is acceptable and raises `InvalidValue` (the test scores 0
with the message) naming what was wrong. Messages describe the value the student's code
returned, never the hidden inputs that produced it.

    y = expect_tensor(model(x), shape=(8, 6), dtype=torch.float32, name="LinearClassifier output")
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from grader.errors import InvalidValue

__all__ = ["expect_int", "expect_number", "expect_tensor"]


def _kind(value: Any) -> str:
    if isinstance(value, torch.Tensor):
        return f"a tensor of shape {tuple(value.shape)}"
    return f"a {type(value).__name__}"


def expect_tensor(
    value: Any,
    *,
    shape: Sequence[int | None] | None = None,
    dtype: torch.dtype | Sequence[torch.dtype] | None = None,
    finite: bool = True,
    name: str = "output",
) -> torch.Tensor:
    """`value` as a genuine torch.Tensor with the given shape (None matches any size),
    dtype (one or several allowed) and, when `finite`, no NaN or inf."""
    if isinstance(value, np.ndarray):
        raise InvalidValue(f"{name} should be a torch.Tensor, got a numpy array")
    if type(value) is not torch.Tensor:
        raise InvalidValue(f"{name} should be a torch.Tensor, got {_kind(value)}")
    if shape is not None:
        want = tuple(shape)
        got = tuple(value.shape)
        if len(got) != len(want) or any(
            w is not None and w != g for w, g in zip(want, got, strict=True)
        ):
            shown = tuple("*" if w is None else w for w in want)
            raise InvalidValue(f"{name} should have shape {shown}, got {got}")
    if dtype is not None:
        allowed = (dtype,) if isinstance(dtype, torch.dtype) else tuple(dtype)
        if value.dtype not in allowed:
            names = " or ".join(str(d).removeprefix("torch.") for d in allowed)
            raise InvalidValue(
                f"{name} should have dtype {names}, got {str(value.dtype).removeprefix('torch.')}"
            )
    if finite and (value.is_floating_point() or value.is_complex()):
        bad = int((~torch.isfinite(value)).sum())
        if bad:
            raise InvalidValue(f"{name} has {bad} NaN or infinite value{'s' if bad > 1 else ''}")
    return value


def expect_number(value: Any, *, name: str, finite: bool = True) -> float:
    """A real number (int or float, not bool); a one-element tensor is not accepted."""
    if type(value) not in (int, float):
        raise InvalidValue(f"{name} should be a number, got {_kind(value)}")
    number = float(value)
    if finite and not math.isfinite(number):
        raise InvalidValue(f"{name} should be a finite number, got {number}")
    return number


def expect_int(value: Any, *, name: str, minimum: int | None = None) -> int:
    """An int (not bool), at least `minimum` when given."""
    if type(value) is not int:
        raise InvalidValue(f"{name} should be an int, got {_kind(value)}")
    if minimum is not None and value < minimum:
        raise InvalidValue(f"{name} should be at least {minimum}, got {value}")
    return value
