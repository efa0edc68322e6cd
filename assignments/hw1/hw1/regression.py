"""Task 1: linear regression by gradient descent, with autograd doing the calculus.

The model predicts  y_hat = x @ w + b  and we measure it with the mean squared error

    L(w, b) = (1 / N) * sum_i (x_i . w + b - y_i) ** 2

Gradient descent repeats, with a learning rate `lr`,

    w <- w - lr * dL/dw        b <- b - lr * dL/db

We never write dL/dw by hand: tensors created with requires_grad=True record the
operations applied to them, and loss.backward() fills in w.grad and b.grad.
"""

from __future__ import annotations

import torch


def fit_linear_regression(
    x: torch.Tensor, y: torch.Tensor, *, lr: float = 0.1, steps: int = 200
) -> tuple[torch.Tensor, torch.Tensor, list[float]]:
    """Fit y ~ x @ w + b by plain gradient descent on the mean squared error.

    Args:
        x: (N, D) inputs, a floating-point tensor.
        y: (N,) targets, same dtype as x.
        lr: the learning rate used by every update.
        steps: how many updates to make.

    Returns:
        (w, b, losses): w has shape (D,) and b shape () (a 0-d tensor), both in x's dtype
        and detached from the graph. losses[k] is the mean squared error *before*
        update k, as a Python float, so len(losses) == steps.

    Start from w = 0 and b = 0. Use tensors with requires_grad=True, loss.backward() and
    updates inside torch.no_grad(). Do not use torch.optim or a closed-form solution.
    """
    # TODO (Task 1):
    #   1. w: zeros of shape (D,) and b: a zero of shape (), in x's dtype and on x's device,
    #      both created with requires_grad=True.
    #   2. For each step: prediction = x @ w + b (N,); loss = mean squared error;
    #      record loss.item(); loss.backward(); update w and b inside torch.no_grad();
    #      then clear w.grad and b.grad (backward() adds into them).
    #   3. Return w.detach(), b.detach() and the list of losses.
    raise NotImplementedError("Task 1: fit_linear_regression")
