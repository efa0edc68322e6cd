"""Task 1: arithmetic on tensors."""

import torch


def double(x: torch.Tensor) -> torch.Tensor:
    """Return 2 * x, same shape and dtype."""
    doubled = x.clone()
    doubled.mul_(2.0)  # in place on a copy: the caller's tensor is left alone
    return doubled


def shift(x: torch.Tensor, by: float) -> torch.Tensor:
    """Return x + by."""
    offset = torch.full_like(x, float(by))
    return torch.add(x, offset)
