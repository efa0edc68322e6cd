"""Homework 5 end to end: the reference earns every point, the starter none, common
mistakes (mutants of the reference) lose exactly the points meant to catch them, and the
public tests pass on the reference.

Only the reference grading trains the full model (about 40 s on a 2-core CPU); the mutants
are graded on the tests they target, and the one that trains on the valid split trains on
2,000 rows only.
"""

from __future__ import annotations

import ast
import runpy
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
SOLUTION = ROOT / "solutions" / "hw5"
STARTER = ROOT / "assignments" / "hw5"
SUITE = ROOT / "grader" / "suites" / "hw5"

# The stub a starter test stops at first: next_char_loss needs no model, every other test
# of Tasks 1-4 builds a CharRNN first, and Task 5 calls train.
FIRST_STUB = {"1": "Task 1", "2": "Task 1", "3": "Task 1", "4": "Task 1", "5": "Task 5"}
FIRST_STUB_BY_NUMBER = {"2.1": "Task 2"}

_CLIP = "            nn.utils.clip_grad_norm_(model.parameters(), clip_norm)\n"
_RNN_TO_HEAD = """            batch_first=True,  # (B, L, features), like the rest of the model
            dropout=dropout if num_layers > 1 else 0.0,  # between stacked layers only
        )
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(hidden_dim, vocab_size)
"""
_NLL_SUMS = """            total += next_char_loss(model(batch), batch).item() * predictions
            count += predictions
"""
# A dropout that ignores eval(): the functional form with training left at True.
_ALWAYS_ON_DROPOUT = (
    'type("AlwaysOnDropout", (nn.Module,), {"forward": lambda self, h, p=dropout: '
    "torch.nn.functional.dropout(h, p, training=True)})()"
)

# `loses`: hidden tests (pytest -k names) that must lose points; `keeps`: tests that must
# still pass, to show each check is aimed at the mistake and not at the whole task.
MUTANTS: list[tuple[Mutant, tuple[str, ...]]] = [
    # Task 1: the model
    (
        Mutant(
            "bidirectional",
            "hw5/models.py",
            _RNN_TO_HEAD,
            _RNN_TO_HEAD.replace(
                "batch_first=True,", "batch_first=True, bidirectional=True,"
            ).replace("nn.Linear(hidden_dim,", "nn.Linear(2 * hidden_dim,"),
            loses=("test_causal", "test_parameter_count"),
            says="no bidirectional=True",
        ),
        ("test_output_shape",),
    ),
    # reads the next token at one late position only (a look-ahead bug in a custom loop)
    (
        Mutant(
            "peeks_one_ahead_at_position_30",
            "hw5/models.py",
            "x = self.drop(self.embed(tokens))  # (B, L, E)",
            "x = self.drop(self.embed(tokens))  # (B, L, E)\n"
            "        if x.shape[1] > 31:\n"
            "            x = torch.cat([x[:, :30], x[:, 30:31] + x[:, 31:32], x[:, 31:]], dim=1)",
            loses=("test_causal",),
            says="the logits at position 30 changed",
        ),
        ("test_output_shape", "test_parameter_count"),
    ),
    (
        Mutant(
            "detached_embedding",
            "hw5/models.py",
            "x = self.drop(self.embed(tokens))",
            "x = self.drop(self.embed(tokens)).detach()",
            loses=("test_every_parameter_gets_a_gradient",),
            says="no .detach() or torch.no_grad() inside forward",
        ),
        ("test_output_shape", "test_state_continues_the_sequence"),
    ),
    (
        Mutant(
            "dropout_on_in_eval",
            "hw5/models.py",
            "self.drop = nn.Dropout(dropout)",
            f"self.drop = {_ALWAYS_ON_DROPOUT}",
            loses=("test_dropout_follows_the_mode", "test_sequence_nll_value"),
            says="dropout must be off in eval mode",
        ),
        ("test_parameter_count", "test_causal"),
    ),
    (
        Mutant(
            "state_ignored",
            "hw5/models.py",
            "outputs, state = self.rnn(x, state)",
            "outputs, state = self.rnn(x)",
            loses=("test_state_continues_the_sequence", "test_greedy_follows_the_state"),
            says="start from the state you are given",
        ),
        ("test_output_shape", "test_causal"),
    ),
    # Task 2: the loss and the evaluation
    (
        Mutant(
            "loss_not_shifted",
            "hw5/loss.py",
            "logits[:, :-1].reshape(-1, vocab)  # (B * (L - 1), V)\n"
            "    targets = tokens[:, 1:].reshape(-1)",
            "logits.reshape(-1, vocab)\n    targets = tokens.reshape(-1)",
            loses=(
                "test_next_char_loss",
                "test_sequence_nll_value",
                "test_clipped_epoch_matches_reference",
            ),
            says="the target of position t is the next character",
        ),
        ("test_sequence_nll_eval_mode_no_graph",),
    ),
    (
        Mutant(
            "loss_in_bits",
            "hw5/loss.py",
            "return F.cross_entropy(predictions, targets)",
            "return F.cross_entropy(predictions, targets) / torch.log(torch.tensor(2.0))",
            loses=("test_next_char_loss", "test_sequence_nll_value"),
            says="in bits",
        ),
        ("test_sequence_nll_eval_mode_no_graph",),
    ),
    (
        Mutant(
            "loss_summed",
            "hw5/loss.py",
            "F.cross_entropy(predictions, targets)",
            'F.cross_entropy(predictions, targets, reduction="sum")',
            loses=("test_next_char_loss",),
            says="the losses are summed",
        ),
        ("test_sequence_nll_eval_mode_no_graph",),
    ),
    (
        Mutant(
            "nll_counts_position_0",
            "hw5/loss.py",
            "            count += predictions\n",
            "            count += batch.numel()\n",
            loses=("test_sequence_nll_value",),
            says="position 0 is never predicted",
        ),
        ("test_next_char_loss",),
    ),
    (
        Mutant(
            "nll_mean_of_batch_means",
            "hw5/loss.py",
            _NLL_SUMS,
            _NLL_SUMS.replace(" * predictions", "").replace("count += predictions", "count += 1"),
            loses=("test_sequence_nll_value",),
            says="mean of per-batch means",
        ),
        ("test_next_char_loss", "test_sequence_nll_eval_mode_no_graph"),
    ),
    (
        Mutant(
            "nll_without_eval",
            "hw5/loss.py",
            "    model.eval()\n    total",
            "    total",
            loses=("test_sequence_nll_value", "test_sequence_nll_eval_mode_no_graph"),
            says="must switch the model to eval() mode",
        ),
        ("test_next_char_loss",),
    ),
    (
        Mutant(
            "nll_builds_graph",
            "hw5/loss.py",
            "with torch.no_grad():",
            "with torch.enable_grad():",
            loses=("test_sequence_nll_eval_mode_no_graph",),
            says="wrap the loop in torch.no_grad()",
        ),
        ("test_sequence_nll_value",),
    ),
    # Task 3: the training loop
    (
        Mutant(
            "no_clipping",
            "hw5/loop.py",
            _CLIP,
            "            pass\n",
            loses=("test_clipped_epoch_matches_reference",),
            says="clip_grad_norm_(parameters, clip_norm)",
        ),
        ("test_epoch_returns_mean_loss",),
    ),
    (
        Mutant(
            "clip_before_backward",
            "hw5/loop.py",
            "        loss.backward()\n        if clip_norm is not None:\n" + _CLIP,
            "        if clip_norm is not None:\n" + _CLIP + "        loss.backward()\n",
            loses=("test_clipped_epoch_matches_reference",),
            says="clip_grad_norm_(parameters, clip_norm)",
        ),
        ("test_small_gradients_are_not_rescaled",),
    ),
    (
        Mutant(
            "clip_by_value",
            "hw5/loop.py",
            "nn.utils.clip_grad_norm_(model",
            "nn.utils.clip_grad_value_(model",
            loses=("test_clipped_epoch_matches_reference",),
            says="its norm, not each value",
        ),
        ("test_small_gradients_are_not_rescaled",),
    ),
    (
        Mutant(
            "clip_always_rescales",
            "hw5/loop.py",
            _CLIP,
            "            norm = torch.sqrt(sum((p.grad**2).sum() for p in model.parameters()))\n"
            "            for p in model.parameters():\n"
            "                p.grad.mul_(clip_norm / norm)\n",
            loses=("test_small_gradients_are_not_rescaled",),
            says="never scales one up",
        ),
        ("test_clipped_epoch_matches_reference",),
    ),
    # Task 4: sampling
    (
        Mutant(
            "sample_forgets_state",
            "hw5/sample.py",
            "model.forward_with_state(step, state)",
            "model.forward_with_state(step)",
            loses=("test_greedy_follows_the_state",),
            says="together with the state the previous call returned",
        ),
        ("test_generator_seeds_the_draws",),
    ),
    (
        Mutant(
            "temperature_multiplies",
            "hw5/sample.py",
            "last / temperature",
            "last * temperature",
            loses=("test_temperature_divides_the_logits",),
            says="divide the last position's logits by the temperature",
        ),
        ("test_greedy_follows_the_state", "test_generator_seeds_the_draws"),
    ),
    (
        Mutant(
            "sample_ignores_generator",
            "hw5/sample.py",
            "torch.multinomial(probs, 1, generator=generator)",
            "torch.multinomial(probs, 1)",
            loses=("test_generator_seeds_the_draws",),
            says="pass `generator` to torch.multinomial",
        ),
        ("test_greedy_follows_the_state",),
    ),
    # Task 5: training on the wrong split (2,000 rows instead of 12,000)
    (
        Mutant(
            "trains_on_valid",
            "hw5/train.py",
            'load_tokens(data_dir, "train")',
            'load_tokens(data_dir, "valid")',
            loses=("test_test_nll",),
            says='train on the "train" split',
        ),
        ("test_returns_a_char_rnn",),
    ),
]


_TASKS_2_3 = (
    "test_next_char_loss",
    "test_sequence_nll_value",
    "test_sequence_nll_eval_mode_no_graph",
    "test_clipped_epoch_matches_reference",
    "test_epoch_returns_mean_loss",
    "test_small_gradients_are_not_rescaled",
)

# Correct solutions written differently from the reference: each keeps every point of
# Tasks 2 and 3.
ALTERNATIVES: list[Mutant] = [
    # the clipping written by hand instead of nn.utils.clip_grad_norm_
    Mutant(
        "clipping_by_hand",
        "hw5/loop.py",
        "            nn.utils.clip_grad_norm_(model.parameters(), clip_norm)\n",
        "            grads = [p.grad for p in model.parameters() if p.grad is not None]\n"
        "            norm = torch.stack([g.norm() for g in grads]).norm()\n"
        "            scale = (clip_norm / (norm + 1e-6)).clamp(max=1.0)\n"
        "            for g in grads:\n"
        "                g.mul_(scale)\n",
        loses=(),
    ),
    # log_softmax + gather on the (B, L - 1, V) logits instead of F.cross_entropy
    Mutant(
        "loss_by_log_softmax_gather",
        "hw5/loss.py",
        "    return F.cross_entropy(predictions, targets)\n",
        "    log_probs = predictions.log_softmax(dim=-1)  # (N, V)\n"
        "    return -log_probs.gather(1, targets[:, None]).mean()\n",
        loses=(),
    ),
]


def _keyword(names: tuple[str, ...]) -> str:
    return " or ".join(names)


_NAMES = docstring_names(SUITE)


@pytest.mark.slow
def test_reference_earns_every_point(graded) -> None:
    report = graded("hw5", SOLUTION)
    failed = {t.name: t.output for t in report.tests if t.status != "passed"}
    assert not failed, failed
    assert report.max_score == 100
    assert report.score == 100
    assert len(report.tests) == len(_NAMES)


@pytest.mark.slow
def test_starter_earns_nothing_and_says_not_implemented(graded) -> None:
    report = graded("hw5", STARTER)
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
    report = graded("hw5", submission, keyword=_keyword(mutant.loses + keeps))
    check_mutant_report(report, mutant, keeps, _NAMES)


@pytest.mark.slow
@pytest.mark.parametrize("alternative", ALTERNATIVES, ids=[m.name for m in ALTERNATIVES])
def test_correct_alternative_keeps_every_point(graded, tmp_path: Path, alternative: Mutant) -> None:
    submission = make_mutant(SOLUTION, alternative, tmp_path / alternative.name)
    report = graded("hw5", submission, keyword=_keyword(_TASKS_2_3))
    check_mutant_report(report, alternative, _TASKS_2_3, _NAMES)


def test_public_tests_pass_on_the_reference() -> None:
    proc = run_public_tests(STARTER, SOLUTION)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]


def test_starter_keeps_the_solution_signatures() -> None:
    check_starter_signatures(STARTER, SOLUTION, "hw5")


def _function_source(path: Path, name: str) -> str:
    tree = ast.parse(path.read_text())
    return next(
        ast.unparse(n) for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name
    )


def test_given_code_matches_the_reference() -> None:
    """data.py, make_optimizer, make_generator and main() are given complete."""
    assert (STARTER / "hw5" / "data.py").read_text() == (SOLUTION / "hw5" / "data.py").read_text()
    for file, name in (
        ("loop.py", "make_optimizer"),
        ("sample.py", "make_generator"),
        ("train.py", "main"),
    ):
        assert _function_source(STARTER / "hw5" / file, name) == _function_source(
            SOLUTION / "hw5" / file, name
        ), (file, name)


def test_handout_states_every_tasks_points() -> None:
    """The handout's table gives each task the points the hidden suite awards."""
    check_handout_points(STARTER, SUITE)


def test_vocabulary_matches_the_dataset() -> None:
    """The starter's VOCAB and the suite's copy are coursedata's."""
    import coursedata

    from grader.suites.hw5 import lm

    given = runpy.run_path(str(STARTER / "hw5" / "data.py"))  # data.py has no package imports
    assert given["VOCAB"] == lm.VOCAB == coursedata.VOCAB
