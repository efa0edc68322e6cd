"""Homework 1 end to end: the reference earns every point, the starter none, common
mistakes (mutants of the reference) lose exactly the points meant to catch them, and the
public tests pass on the reference.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import (
    Mutant,
    check_handout_points,
    check_mutant_report,
    check_starter_signatures,
    docstring_names,
    make_mutant,
    run_public_tests,
)

ROOT = Path(__file__).resolve().parents[2]
SOLUTION = ROOT / "solutions" / "hw1"
STARTER = ROOT / "assignments" / "hw1"
SUITE = ROOT / "grader" / "suites" / "hw1"
TASK_OF_NUMBER = {"1": "Task 1", "2": "Task 2", "3": "Task 3", "4": "Task 4", "5": "Task 2"}

_SGD_LOOP_OLD = """    losses: list[float] = []
    for _ in range(steps):
        prediction = x @ w + b  # (N, D) @ (D,) -> (N,); b broadcasts
        loss = ((prediction - y) ** 2).mean()  # ()
        loss.backward()  # fills w.grad and b.grad
        with torch.no_grad():  # the update itself must not become part of the graph
            w -= lr * w.grad
            b -= lr * b.grad
        # backward() adds into .grad, so clear it before the next step
        w.grad = None
        b.grad = None
        losses.append(loss.item())
"""


def _optimizer_loop(make: str) -> str:
    return f"""    losses: list[float] = []
    optimizer = {make}
    for _ in range(steps):
        loss = ((x @ w + b - y) ** 2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
"""


# `loses`: hidden tests (pytest -k names) that must lose points; `keeps`: tests that must
# still pass, to show each check is aimed at the mistake and not at the whole task.
MUTANTS: list[tuple[Mutant, tuple[str, ...]]] = [
    (
        Mutant(
            "softmax_over_batch_dim",
            "hw1/losses.py",
            "shifted.exp().sum(dim=1).log()",
            "shifted.exp().sum(dim=0).log()",
            loses=("test_value", "test_gradient"),
            says="must match the size",
        ),
        (),
    ),
    (
        Mutant(
            "naive_softmax_overflows",
            "hw1/losses.py",
            "row_max = logits.max(dim=1, keepdim=True).values.detach()",
            "row_max = torch.zeros_like(logits[:, :1])",
            loses=("test_extreme_logits",),
            says="subtract each row's maximum",
        ),
        ("test_gradient",),
    ),
    (
        Mutant(
            "missing_bias",
            "hw1/models.py",
            "nn.Linear(channels * height * width, num_classes)",
            "nn.Linear(channels * height * width, num_classes, bias=False)",
            loses=("test_parameter_count",),
            says="one bias per class",
        ),
        ("test_is_affine",),
    ),
    (
        Mutant(
            "nonlinear_model",
            "hw1/models.py",
            "return self.linear(x)",
            "return torch.relu(self.linear(x))",
            loses=("test_is_affine",),
            says="one affine map",
        ),
        ("test_parameter_count",),
    ),
    # plain SGD follows the same curve, so only the source check can tell
    (
        Mutant(
            "optim_sgd_in_task1",
            "hw1/regression.py",
            _SGD_LOOP_OLD,
            _optimizer_loop("torch.optim.SGD([w, b], lr=lr)"),
            loses=("test_no_torch_optim",),
            says="written by hand",
        ),
        ("test_follows_gradient_descent",),
    ),
    (
        Mutant(
            "adam_in_task1",
            "hw1/regression.py",
            _SGD_LOOP_OLD,
            _optimizer_loop("torch.optim.Adam([w, b], lr=lr)"),
            loses=("test_follows_gradient_descent", "test_no_torch_optim"),
            says="regression.py uses Adam",
        ),
        (),
    ),
    (
        Mutant(
            "closed_form_in_task1",
            "hw1/regression.py",
            _SGD_LOOP_OLD,
            """    ones = torch.ones(len(x), 1, dtype=x.dtype)
    solution = torch.linalg.lstsq(torch.cat([x, ones], 1), y[:, None]).solution[:, 0]
    w, b = solution[:-1].clone().requires_grad_(), solution[-1].clone().requires_grad_()
    losses = [((x @ w + b - y) ** 2).mean().item()] * steps
""",
            loses=("test_follows_gradient_descent",),
            says="start from w = 0, b = 0",
        ),
        ("test_recovers_parameters",),
    ),
    (
        Mutant(
            "load_ignores_file",
            "hw1/utils.py",
            "    model.load_state_dict(state)\n",
            "",
            loses=("test_round_trip",),
            says="must restore the saved weights",
        ),
        ("test_file_size",),
    ),
]


_TASKS_2_3 = (
    "test_output_shape",
    "test_parameter_count",
    "test_is_affine",
    "test_images_scored_independently",
    "test_value",
    "test_gradient",
    "test_extreme_logits",
    "test_batch_of_one",
    "test_written_by_hand",
)

# Correct solutions written differently from the reference: each keeps every point of
# Tasks 2 and 3 (a local variable named like a library function is not a library call).
ALTERNATIVES: list[Mutant] = [
    Mutant(
        "local_named_log_softmax",
        "hw1/losses.py",
        "return (log_sum_exp - correct).mean()",
        "log_softmax = shifted - log_sum_exp[:, None]  # a local, not F.log_softmax\n"
        "        return -log_softmax.gather(1, target.view(-1, 1)).mean()",
        loses=(),
    ),
    Mutant(
        "raw_parameters_addmm",
        "hw1/models.py",
        "        self.linear = nn.Linear(channels * height * width, num_classes)\n",
        "        self.weight = nn.Parameter(torch.randn(channels * height * width, "
        "num_classes) * 0.01)\n        self.bias = nn.Parameter(torch.zeros(num_classes))\n"
        "        self.linear = lambda x: torch.addmm(self.bias, x, self.weight)\n",
        loses=(),
    ),
]


def _keyword(names: tuple[str, ...]) -> str:
    return " or ".join(names)


@pytest.mark.slow
def test_reference_earns_every_point(graded) -> None:
    report = graded("hw1", SOLUTION)
    failed = {t.name: t.output for t in report.tests if t.status != "passed"}
    assert not failed, failed
    assert report.max_score == 100
    assert report.score == 100
    assert len(report.tests) >= 15


@pytest.mark.slow
def test_starter_earns_nothing_and_says_not_implemented(graded) -> None:
    report = graded("hw1", STARTER)
    assert report.score == 0
    for t in report.tests:
        task = TASK_OF_NUMBER[t.number.split(".")[0]]
        assert t.output.startswith(f"not implemented yet: {task}"), (t.number, t.output)


@pytest.mark.slow
@pytest.mark.parametrize(("mutant", "keeps"), MUTANTS, ids=[m.name for m, _ in MUTANTS])
def test_mutant_loses_its_points(
    graded, tmp_path: Path, mutant: Mutant, keeps: tuple[str, ...]
) -> None:
    submission = make_mutant(SOLUTION, mutant, tmp_path / mutant.name)
    report = graded("hw1", submission, keyword=_keyword(mutant.loses + keeps))
    check_mutant_report(report, mutant, keeps, _NAMES)


@pytest.mark.slow
@pytest.mark.parametrize("alternative", ALTERNATIVES, ids=[m.name for m in ALTERNATIVES])
def test_correct_alternative_keeps_every_point(graded, tmp_path: Path, alternative: Mutant) -> None:
    submission = make_mutant(SOLUTION, alternative, tmp_path / alternative.name)
    report = graded("hw1", submission, keyword=_keyword(_TASKS_2_3))
    check_mutant_report(report, alternative, _TASKS_2_3, _NAMES)


@pytest.mark.slow
def test_training_past_the_budget_scores_zero(graded, tmp_path: Path, monkeypatch) -> None:
    """The mutant sleeps through its budget, so this costs about the budget in seconds.

    The machine is declared fast (the most budgets allow), so the 30-unit budget is a few
    seconds however busy the machine is; the suite's own over-budget path is unchanged.
    """
    import grader.training as training
    from grader.timing import MAX_BUDGET_SPEEDUP, Calibration

    fast = Calibration(
        device="cpu",
        threads=2,
        speed=MAX_BUDGET_SPEEDUP,
        workload_s=1.0,
        kernel_seconds={},
        device_name="pretend",
        measured_at="",
        duration_s=0.0,
    )
    monkeypatch.setattr(training, "calibration_for", lambda device, threads: fast)
    mutant = Mutant(
        "sleeps_past_budget",
        "hw1/train.py",
        "    torch.manual_seed(seed)\n    train_loader",
        "    time.sleep(2 * time_budget_s)\n    torch.manual_seed(seed)\n    train_loader",
        loses=("test_trains_within_budget", "test_test_accuracy"),
        says="idle (sleeping or blocked)",
    )
    submission = make_mutant(SOLUTION, mutant, tmp_path / mutant.name)
    report = graded("hw1", submission, keyword=_keyword(mutant.loses))
    assert len(report.tests) == 2
    for result in report.tests:
        assert result.score == 0
        # Sleeping burns no CPU time: the wall-clock backstop stops it and says why.
        assert "idle (sleeping or blocked)" in result.output, result.output


def test_public_tests_pass_on_the_reference() -> None:
    proc = run_public_tests(STARTER, SOLUTION)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]


def test_starter_keeps_the_solution_signatures() -> None:
    check_starter_signatures(STARTER, SOLUTION, "hw1")


def test_handout_states_every_tasks_points() -> None:
    """The handout's table gives each task the points the hidden suite awards."""
    check_handout_points(STARTER, SUITE)


_NAMES = docstring_names(SUITE)
