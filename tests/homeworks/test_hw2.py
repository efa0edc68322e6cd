"""Homework 2 end to end: the reference earns every point, the starter none, common
mistakes (mutants of the reference) lose exactly the points meant to catch them, and the
public tests pass on the reference.
"""

from __future__ import annotations

import ast
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
SOLUTION = ROOT / "solutions" / "hw2"
STARTER = ROOT / "assignments" / "hw2"
SUITE = ROOT / "grader" / "suites" / "hw2"

# The stub a starter test stops at first: every model and loop test builds an
# MLPClassifier before anything else, and the run's logs need a finished training run.
FIRST_STUB = {"1": "Task 1", "2": "Task 1", "3": "Task 1", "4": "Task 4", "5": "Task 5"}
FIRST_STUB_BY_NUMBER = {"4.3": "Task 5"}

# A dropout that ignores eval(): the functional form with training left at True.
_ALWAYS_ON_DROPOUT = (
    'type("AlwaysOnDropout", (nn.Module,), {"forward": lambda self, h, p=dropout: '
    "torch.nn.functional.dropout(h, p, training=True)})()"
)

# `loses`: hidden tests (pytest -k names) that must lose points; `keeps`: tests that must
# still pass, to show each check is aimed at the mistake and not at the whole task.
MUTANTS: list[tuple[Mutant, tuple[str, ...]]] = [
    (
        Mutant(
            "no_activation",
            "hw2/models.py",
            "nn.Linear(width, int(hidden)), nn.ReLU(), nn.Dropout(dropout)",
            "nn.Linear(width, int(hidden)), nn.Dropout(dropout)",
            loses=("test_is_not_linear",),
            says="Put a ReLU after every hidden Linear layer",
        ),
        ("test_parameter_count", "test_output_shape"),
    ),
    (
        Mutant(
            "dropout_on_in_eval",
            "hw2/models.py",
            "nn.Dropout(dropout)]",
            _ALWAYS_ON_DROPOUT + "]",
            loses=("test_eval_mode_is_deterministic", "test_evaluate"),
            says="dropout must be off in eval mode",
        ),
        ("test_dropout_active_in_train_mode", "test_parameter_count"),
    ),
    (
        Mutant(
            "all_zero_init",
            "hw2/models.py",
            'nn.init.kaiming_normal_(module.weight, mode="fan_in", nonlinearity="relu")',
            "nn.init.zeros_(module.weight)",
            loses=("test_initial_logit_spread", "test_every_parameter_gets_a_gradient"),
            says="are some weights initialised to zero?",
        ),
        ("test_output_shape",),
    ),
    (
        Mutant(
            "default_init",
            "hw2/models.py",
            "        self.apply(init_weights)\n",
            "",
            loses=("test_initial_logit_spread",),
            says="Initialise every Linear weight with Kaiming (or Xavier) scaling",
        ),
        ("test_every_parameter_gets_a_gradient",),
    ),
    (
        Mutant(
            "detached_layer",
            "hw2/models.py",
            "return self.layers(x - 0.5)",
            "return self.layers[-1](self.layers[:-1](x - 0.5).detach())",
            loses=("test_every_parameter_gets_a_gradient",),
            says="its output is detached from the graph",
        ),
        ("test_is_not_linear", "test_initial_logit_spread"),
    ),
    (
        Mutant(
            "no_zero_grad",
            "hw2/loop.py",
            "        optimizer.zero_grad()\n",
            "",
            loses=("test_train_one_epoch_matches_reference",),
            says="expected exactly one optimizer.zero_grad()",
        ),
        ("test_evaluate",),
    ),
    (
        Mutant(
            "returns_last_loss",
            "hw2/loop.py",
            "return sum(batch_losses) / len(batch_losses)",
            "return batch_losses[-1]",
            loses=("test_train_one_epoch_returns_mean_loss",),
            says="expected the mean of the per-batch losses",
        ),
        ("test_train_one_epoch_matches_reference",),
    ),
    (
        Mutant(
            "evaluate_without_eval",
            "hw2/loop.py",
            "    model.eval()\n    correct",
            "    correct",
            loses=("test_evaluate",),
            says="evaluate must switch the model to eval() mode",
        ),
        ("test_train_one_epoch_returns_mean_loss",),
    ),
    (
        Mutant(
            "evaluate_builds_graph",
            "hw2/loop.py",
            "    with torch.no_grad():\n        for images",
            "    with torch.enable_grad():\n        for images",
            loses=("test_evaluate",),
            says="wrap the loop in torch.no_grad()",
        ),
        ("test_train_one_epoch_returns_mean_loss",),
    ),
    (
        Mutant(
            "wrong_tags",
            "hw2/logger.py",
            'TRAIN_LOSS = "train/loss"',
            'TRAIN_LOSS = "loss"',
            loses=("test_training_logger_writes_scalars",),
            says="tags train/loss missing from the TensorBoard logs",
        ),
        ("test_training_logger_without_log_dir",),
    ),
]


# Every hidden test that does not train (Task 5's run and the logs it writes take a minute).
_NOT_TRAINING = (
    "test_output_shape",
    "test_parameter_count",
    "test_is_not_linear",
    "test_dropout_active_in_train_mode",
    "test_eval_mode_is_deterministic",
    "test_initial_logit_spread",
    "test_every_parameter_gets_a_gradient",
    "test_train_one_epoch_matches_reference",
    "test_train_one_epoch_returns_mean_loss",
    "test_evaluate",
    "test_training_logger_writes_scalars",
    "test_training_logger_without_log_dir",
)

# Correct solutions written differently from the reference: each keeps every point of the
# tests above (the grader checks behaviour, not the reference's way of writing it).
ALTERNATIVES: list[Mutant] = [
    Mutant(
        "nested_block_sequentials",
        "hw2/models.py",
        "layers += [nn.Linear(width, int(hidden)), nn.ReLU(), nn.Dropout(dropout)]",
        "layers.append(\n                nn.Sequential(nn.Linear(width, int(hidden)), nn.ReLU(), "
        "nn.Dropout(dropout))\n            )",
        loses=(),
    ),
    Mutant(
        "normal_init_by_fan_in",
        "hw2/models.py",
        'nn.init.kaiming_normal_(module.weight, mode="fan_in", nonlinearity="relu")',
        "nn.init.normal_(module.weight, std=(2.0 / module.in_features) ** 0.5)",
        loses=(),
    ),
    Mutant(
        "model_zero_grad",
        "hw2/loop.py",
        "        optimizer.zero_grad()\n",
        "        model.zero_grad(set_to_none=True)\n",
        loses=(),
    ),
    Mutant(
        "evaluate_inference_mode_batch_means",
        "hw2/loop.py",
        """    with torch.no_grad():
        for images, labels in loader:
            images, labels = images.to(device), labels.to(device)
            predictions = model(images).argmax(dim=1)  # (B,)
            correct += int((predictions == labels).sum().item())
""",
        """    with torch.inference_mode():
        for images, labels in loader:
            logits = model(images.to(device))
            hits = (logits.argmax(dim=1) == labels.to(device)).float()
            correct += hits.mean().item() * len(hits)  # batch accuracy times batch size
""",
        loses=(),
    ),
]


def _keyword(names: tuple[str, ...]) -> str:
    return " or ".join(names)


_NAMES = docstring_names(SUITE)


@pytest.mark.slow
def test_reference_earns_every_point(graded) -> None:
    report = graded("hw2", SOLUTION)
    failed = {t.name: t.output for t in report.tests if t.status != "passed"}
    assert not failed, failed
    assert report.max_score == 100
    assert report.score == 100
    assert len(report.tests) == len(_NAMES)


@pytest.mark.slow
def test_starter_earns_nothing_and_says_not_implemented(graded) -> None:
    report = graded("hw2", STARTER)
    assert report.score == 0
    assert len(report.tests) == len(_NAMES)
    for t in report.tests:
        task = FIRST_STUB_BY_NUMBER.get(t.number, FIRST_STUB[t.number.split(".")[0]])
        assert t.output.startswith(f"not implemented yet: {task}"), (t.number, t.output)


@pytest.mark.slow
@pytest.mark.parametrize(("mutant", "keeps"), MUTANTS, ids=[m.name for m, _ in MUTANTS])
def test_mutant_loses_its_points(
    graded, tmp_path: Path, mutant: Mutant, keeps: tuple[str, ...]
) -> None:
    submission = make_mutant(SOLUTION, mutant, tmp_path / mutant.name)
    report = graded("hw2", submission, keyword=_keyword(mutant.loses + keeps))
    check_mutant_report(report, mutant, keeps, _NAMES)


@pytest.mark.slow
@pytest.mark.parametrize("alternative", ALTERNATIVES, ids=[m.name for m in ALTERNATIVES])
def test_correct_alternative_keeps_every_point(graded, tmp_path: Path, alternative: Mutant) -> None:
    submission = make_mutant(SOLUTION, alternative, tmp_path / alternative.name)
    report = graded("hw2", submission, keyword=_keyword(_NOT_TRAINING))
    check_mutant_report(report, alternative, _NOT_TRAINING, _NAMES)


def test_public_tests_pass_on_the_reference() -> None:
    proc = run_public_tests(STARTER, SOLUTION)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]


def test_starter_keeps_the_solution_signatures() -> None:
    check_starter_signatures(STARTER, SOLUTION, "hw2")


def test_handout_states_every_tasks_points() -> None:
    """The handout's table gives each task the points the hidden suite awards."""
    check_handout_points(STARTER, SUITE)


def test_given_files_match_the_reference() -> None:
    """data.py and make_optimizer are given: the starter ships them complete."""
    assert (STARTER / "hw2" / "data.py").read_text() == (SOLUTION / "hw2" / "data.py").read_text()

    def make_optimizer_source(path: Path) -> str:
        tree = ast.parse(path.read_text())
        node = next(
            n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "make_optimizer"
        )
        return ast.unparse(node)

    assert make_optimizer_source(STARTER / "hw2" / "loop.py") == make_optimizer_source(
        SOLUTION / "hw2" / "loop.py"
    )


def test_event_reader_skips_links_and_caps_size(tmp_path: Path, monkeypatch) -> None:
    """The parent's TensorBoard reader: scalars by tag, links ignored, a size cap enforced."""
    from torch.utils.tensorboard import SummaryWriter

    from grader.errors import InvalidValue
    from grader.suites.hw2 import tb_events

    writer = SummaryWriter(str(tmp_path / "run"))
    for step in range(3):
        writer.add_scalar("train/loss", 1.0 / (step + 1), step)
    writer.add_scalar("valid/accuracy", 0.5, 0)
    writer.close()
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "events.out.tfevents.0.secret").write_bytes(
        next((tmp_path / "run").glob("events*")).read_bytes()
    )
    (tmp_path / "run" / "events.out.tfevents.1.link").symlink_to(
        outside / "events.out.tfevents.0.secret"
    )
    (tmp_path / "run" / "linked_dir").symlink_to(outside, target_is_directory=True)
    (tmp_path / "run" / "events.out.tfevents.2.truncated").write_bytes(b"\x10\x00\x00")

    scalars = tb_events.read_scalars(tmp_path / "run")
    assert scalars.steps("train/loss") == [0, 1, 2]
    assert scalars.values("valid/accuracy") == [0.5]

    monkeypatch.setattr(tb_events, "MAX_TOTAL_BYTES", 16)
    with pytest.raises(InvalidValue):
        tb_events.read_scalars(tmp_path / "run")
