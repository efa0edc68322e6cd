"""Task 1: fit_linear_regression."""

from __future__ import annotations

import torch

from hw1.regression import fit_linear_regression


def _problem(n: int = 64, d: int = 3, seed: int = 0) -> tuple[torch.Tensor, ...]:
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(n, d, generator=gen)  # (N, D)
    w_true = torch.randn(d, generator=gen)  # (D,)
    b_true = torch.randn((), generator=gen)  # ()
    return x, x @ w_true + b_true, w_true, b_true


def test_shapes_and_types() -> None:
    x, y, _, _ = _problem()
    w, b, losses = fit_linear_regression(x, y, lr=0.1, steps=5)
    assert w.shape == (3,) and b.shape == ()
    assert w.dtype == x.dtype and b.dtype == x.dtype
    assert not w.requires_grad and not b.requires_grad, "return detached tensors"
    assert len(losses) == 5 and all(isinstance(v, float) for v in losses)


def test_recovers_true_parameters() -> None:
    x, y, w_true, b_true = _problem()
    w, b, losses = fit_linear_regression(x, y, lr=0.1, steps=300)
    torch.testing.assert_close(w, w_true, atol=1e-3, rtol=0)
    torch.testing.assert_close(b, b_true, atol=1e-3, rtol=0)
    assert losses[-1] < losses[0]


def test_follows_plain_gradient_descent() -> None:
    """The loss curve matches gradient descent with the analytic MSE gradient."""
    x, y, _, _ = _problem(n=32, d=2, seed=1)
    x, y = x.double(), y.double()
    lr, steps = 0.05, 10
    w, b = torch.zeros(2, dtype=torch.float64), torch.zeros((), dtype=torch.float64)
    expected = []
    for _ in range(steps):
        residual = x @ w + b - y  # (N,)
        expected.append(residual.pow(2).mean().item())
        w = w - lr * 2 * x.T @ residual / len(y)  # dL/dw = 2/N x^T r
        b = b - lr * 2 * residual.mean()  # dL/db = 2/N sum r
    _, _, losses = fit_linear_regression(x, y, lr=lr, steps=steps)
    torch.testing.assert_close(torch.tensor(losses), torch.tensor(expected), rtol=1e-6, atol=1e-9)
