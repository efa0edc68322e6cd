"""Task 3: ClassificationLoss, softmax cross-entropy by hand, numerically stable (20 points).

The reference is torch's own cross-entropy in float64, computed here in the parent.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from grader.suitekit import expect_tensor, number, partial_credit, weight

LIBRARY_SHORTCUTS = {
    "cross_entropy",
    "CrossEntropyLoss",
    "log_softmax",
    "LogSoftmax",
    "nll_loss",
    "NLLLoss",
    "logsumexp",
}
# why a hand-written cross-entropy leaves the finite range at logits of +-1000
OVERFLOW_CAUSES = (
    "exp() of a large logit overflows to inf, and the log of a probability that underflowed "
    "to 0 is -inf: subtract each row's maximum before exp(), and take the correct class's "
    "term as a difference of logits, never log(softmax)"
)
RTOL, ATOL = 1e-6, 1e-8  # float64 in, float64 reference


def problem(
    batch: int, classes: int, scale: float, seed: int, dtype: torch.dtype = torch.float64
) -> tuple[torch.Tensor, torch.Tensor]:
    """Random logits (B, C) of typical size `scale` and labels (B,) int64."""
    gen = torch.Generator().manual_seed(seed)
    logits = (torch.randn(batch, classes, generator=gen, dtype=torch.float64) * scale).to(dtype)
    target = torch.randint(0, classes, (batch,), generator=gen)
    return logits, target


def reference(logits: torch.Tensor, target: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Trusted loss and d loss / d logits, in float64."""
    z = logits.detach().double().requires_grad_(True)
    loss = F.cross_entropy(z, target)
    (grad,) = torch.autograd.grad(loss, z)
    return loss.detach(), grad


def student_loss_and_grad(
    student, logits: torch.Tensor, target: torch.Tensor, finite: bool = True
) -> tuple[torch.Tensor, torch.Tensor]:
    """The student's loss (a 0-d tensor) and its gradient w.r.t. the logits, checked
    (finite unless `finite` is False: then the caller explains a NaN or inf itself)."""
    loss_fn = student.losses.ClassificationLoss()
    result = loss_fn.gradients(logits, target)
    loss = expect_tensor(result.output, shape=(), name="ClassificationLoss output", finite=finite)
    grad = expect_tensor(
        result.inputs[0],
        shape=tuple(logits.shape),
        finite=finite,
        name="gradient of the loss with respect to the logits",
    )
    return loss.double(), grad.double()


def compare(
    student,
    logits: torch.Tensor,
    target: torch.Tensor,
    what: str,
    rtol: float = RTOL,
    atol: float = ATOL,
) -> str | None:
    """None when value and gradient match the reference, else a message for the student."""
    loss, grad = student_loss_and_grad(student, logits, target, finite=False)
    want_loss, want_grad = reference(logits, target)
    if not bool(loss.isfinite()):
        return f"{what}: the loss is {loss.item()} ({OVERFLOW_CAUSES})"
    if not bool(grad.isfinite().all()):
        return f"{what}: the gradient has NaN or infinite values ({OVERFLOW_CAUSES})"
    if not torch.isclose(loss, want_loss, rtol=rtol, atol=atol):
        return f"{what}: the loss is {loss.item():.6g}, expected {want_loss.item():.6g}"
    if not torch.allclose(grad, want_grad, rtol=rtol, atol=atol):
        gap = (grad - want_grad).abs().max().item()
        return f"{what}: the gradient differs from the reference by up to {gap:.3g}"
    return None


@number("3.1")
@partial_credit(6)
def test_value(student, set_score):
    """ClassificationLoss matches cross-entropy (mean over the batch) on random logits"""
    loss_fn = student.losses.ClassificationLoss()
    cases = [(8, 6, 1.0, 1), (32, 6, 3.0, 2), (5, 10, 0.3, 3)]  # (B, C, scale, seed)
    failures = []
    for k, (batch, classes, scale, seed) in enumerate(cases, start=1):
        logits, target = problem(batch, classes, scale, seed)
        loss = expect_tensor(loss_fn(logits, target), shape=(), name="ClassificationLoss output")
        want, _ = reference(logits, target)
        if not torch.isclose(loss.double(), want, rtol=RTOL, atol=ATOL):
            failures.append(
                f"case {k} ({batch} x {classes} logits): the loss is "
                f"{loss.item():.6g}, expected {want.item():.6g}"
            )
    set_score(6 * (len(cases) - len(failures)) / len(cases))
    assert not failures, "; ".join(failures) + " (softmax over the classes, mean over the batch)"


@number("3.2")
@weight(5)
def test_gradient(student):
    """The gradient of ClassificationLoss matches the reference on random logits"""
    logits, target = problem(16, 6, 2.0, seed=4)
    message = compare(student, logits, target, "random logits")
    assert message is None, message


@number("3.3")
@partial_credit(5)
def test_extreme_logits(student, set_score):
    """ClassificationLoss stays finite and correct for logits around +-1000"""
    logits, target = problem(12, 6, 1.0, seed=5)
    logits = logits.sign() * 1000 + logits  # (B, C): every logit near +1000 or -1000
    logits[0] = 1000.0  # one row of ties at the top
    failures = []
    for dtype in (torch.float64, torch.float32):
        # a float32 loss is only as exact as float32
        tol = (RTOL, ATOL) if dtype == torch.float64 else (1e-4, 1e-4)
        message = compare(student, logits.to(dtype), target, f"{str(dtype)[6:]} logits", *tol)
        if message is not None:
            failures.append(message)
    set_score(5 * (2 - len(failures)) / 2)
    assert not failures, "; ".join(failures)


@number("3.4")
@weight(2)
def test_batch_of_one(student):
    """ClassificationLoss works on a batch of one example"""
    logits, target = problem(1, 6, 2.0, seed=6)
    message = compare(student, logits, target, "a batch of one")
    assert message is None, message


@number("3.5")
@weight(2)
def test_written_by_hand(student, forbidden_used):
    """losses.py computes cross-entropy by hand (no library cross-entropy or log-softmax)"""
    logits, target = problem(4, 6, 1.0, seed=7)
    student_loss_and_grad(student, logits, target)  # it must run first: a stub earns nothing
    used = forbidden_used("losses.py", LIBRARY_SHORTCUTS)
    assert not used, (
        f"losses.py uses {', '.join(used)}: Task 3 asks for the log-sum-exp "
        "written with max, exp, sum, log and gather"
    )
