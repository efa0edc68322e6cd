"""Task 1: linear regression by gradient descent with autograd (20 points)."""

from __future__ import annotations

from typing import Any

import torch

from grader.suitekit import (
    InvalidValue,
    expect_number,
    expect_tensor,
    number,
    partial_credit,
    weight,
)

PARAM_TOLERANCE = 0.05  # stated in the handout
LOSS_RTOL = 1e-3  # float32 student vs float64 reference, over a few dozen steps
LOSS_ATOL = 1e-6


def make_problem(seed: int, n: int, d: int, noise: float) -> tuple[torch.Tensor, ...]:
    """A random, well-conditioned problem: x (N, D), y (N,) float32, true w (D,) and b ()."""
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(n, d, generator=gen) * (0.5 + torch.rand(d, generator=gen))  # (N, D)
    w_true = torch.randn(d, generator=gen) * 2
    b_true = torch.randn((), generator=gen) * 2
    y = x @ w_true + b_true + noise * torch.randn(n, generator=gen)  # (N,)
    return x, y, w_true, b_true


def gradient_descent_losses(
    x: torch.Tensor, y: torch.Tensor, lr: float, steps: int
) -> torch.Tensor:
    """The trusted loss curve: plain gradient descent on the MSE from w = 0, b = 0, float64."""
    x, y = x.double(), y.double()
    w, b = torch.zeros(x.shape[1], dtype=torch.float64), torch.zeros((), dtype=torch.float64)
    losses = []
    for _ in range(steps):
        residual = x @ w + b - y  # (N,)
        losses.append(residual.pow(2).mean())
        w = w - lr * 2 * x.T @ residual / len(y)  # dL/dw = 2/N x^T r
        b = b - lr * 2 * residual.mean()  # dL/db = 2/N sum r
    return torch.stack(losses)


def fit(
    student: Any, x: torch.Tensor, y: torch.Tensor, lr: float, steps: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Call the student's function and check what came back: w (D,), b (), losses (steps,)."""
    result = student.regression.fit_linear_regression(x, y, lr=lr, steps=steps)
    if not isinstance(result, (tuple, list)) or len(result) != 3:
        raise InvalidValue("fit_linear_regression should return a tuple (w, b, losses)")
    w_raw, b_raw, losses_raw = result
    w = expect_tensor(w_raw, shape=(x.shape[1],), dtype=torch.float32, name="w")
    b = expect_tensor(b_raw, shape=(), dtype=torch.float32, name="b")
    if not isinstance(losses_raw, (tuple, list)) or len(losses_raw) != steps:
        got = (
            len(losses_raw) if isinstance(losses_raw, (tuple, list)) else type(losses_raw).__name__
        )
        raise InvalidValue(f"losses should be a list with one float per step ({steps}), got {got}")
    losses = [expect_number(v, name=f"losses[{k}]") for k, v in enumerate(losses_raw)]
    return w, b, torch.tensor(losses, dtype=torch.float64)


@number("1.1")
@weight(4)
def test_return_values(student):
    """fit_linear_regression returns w (D,), b () and one float loss per step"""
    x, y, _, _ = make_problem(seed=101, n=50, d=4, noise=0.1)
    fit(student, x, y, lr=0.05, steps=7)


@number("1.2")
@partial_credit(6)
def test_recovers_parameters(student, set_score):
    """fit_linear_regression recovers the true parameters of random problems"""
    problems = [(202, 256, 2), (203, 256, 5), (204, 400, 8)]  # (seed, N, D)
    failures = []
    for k, (seed, n, d) in enumerate(problems, start=1):
        x, y, w_true, b_true = make_problem(seed, n, d, noise=0.01)
        w, b, _ = fit(student, x, y, lr=0.1, steps=300)
        error = max((w - w_true).abs().max().item(), (b - b_true).abs().item())
        if error > PARAM_TOLERANCE:
            failures.append(
                f"problem {k}: a parameter is off by {error:.3g} (allowed {PARAM_TOLERANCE})"
            )
    set_score(6 * (len(problems) - len(failures)) / len(problems))
    assert not failures, "; ".join(failures)


@number("1.3")
@partial_credit(7)
def test_follows_gradient_descent(student, set_score):
    """The loss curve matches plain gradient descent with the given lr, step for step"""
    settings = [(305, 0.02, 40), (306, 0.2, 25)]  # (seed, lr, steps): the first stops early
    failures = []
    for k, (seed, lr, steps) in enumerate(settings, start=1):
        x, y, _, _ = make_problem(seed, n=128, d=6, noise=0.5)
        _, _, losses = fit(student, x, y, lr=lr, steps=steps)
        expected = gradient_descent_losses(x, y, lr, steps)
        bad = ~torch.isclose(losses, expected, rtol=LOSS_RTOL, atol=LOSS_ATOL)
        if bad.any():
            first = int(bad.nonzero()[0])
            failures.append(
                f"run {k}: losses[{first}] is {losses[first].item():.6g}, gradient descent "
                f"gives {expected[first].item():.6g} (start from w = 0, b = 0; record the loss "
                "before each update; update by lr * gradient)"
            )
    set_score(7 * (len(settings) - len(failures)) / len(settings))
    assert not failures, "; ".join(failures)


@number("1.4")
@weight(3)
def test_no_torch_optim(student, forbidden_used):
    """regression.py writes the update itself (no torch.optim)"""
    x, y, _, _ = make_problem(seed=407, n=32, d=3, noise=0.1)
    fit(student, x, y, lr=0.1, steps=3)  # it must run first: a stub earns nothing here
    used = forbidden_used("regression.py", {"optim", "SGD", "Adam", "Optimizer"})
    assert not used, (
        f"regression.py uses {', '.join(used)}: Task 1 asks for the update "
        "w -= lr * w.grad written by hand under torch.no_grad()"
    )
