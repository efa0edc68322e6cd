"""Grade the toy homework end to end: the reference, the stubs and broken submissions.

Results go through the Gradescope formatter and are compared with tests/engine/goldens/
(execution times and machine-specific header lines removed). After an intended change,
rewrite them with `GRADER_UPDATE_GOLDENS=1 pytest tests/engine/test_engine_grading.py`.
About 1-2 minutes on a loaded 2-core machine (ten toy grades of 1-8 tests each).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from toy_homework import TOY, make_submission

from grader.api import grade
from grader.formatters.gradescope import to_gradescope
from grader.results import GradeReport

GOLDENS = Path(__file__).resolve().parent / "goldens"
# Crashes and hangs run a single test: each costs a killed worker (and 4 s for the hang).
KEYWORDS = {"hanging": "values", "exiting": "values", "segfault": "values"}


@pytest.fixture(scope="module")
def graded_toy(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], GradeReport]:
    cache: dict[str, GradeReport] = {}

    def _graded(name: str) -> GradeReport:
        if name not in cache:
            submission = make_submission(name, tmp_path_factory.mktemp("toy") / name)
            cache[name] = grade(TOY, submission, threads=1, keyword=KEYWORDS.get(name))
        return cache[name]

    return _graded


def normalised(report: GradeReport) -> dict:
    data = to_gradescope(report)
    data.pop("execution_time")
    header = re.compile(r"^(device|sandbox layers): ")
    data["output"] = "\n".join(ln for ln in data["output"].splitlines() if not header.match(ln))
    return data


@pytest.mark.parametrize(
    "name",
    [
        "solution",
        "starter",
        "wrong",
        "raising",
        "hanging",
        "exiting",
        "segfault",
        "syntax",
        "missing",
    ],
)
def test_results_match_goldens(graded_toy: Callable[[str], GradeReport], name: str) -> None:
    got = normalised(graded_toy(name))
    path = GOLDENS / f"{name}.json"
    if os.environ.get("GRADER_UPDATE_GOLDENS"):
        path.write_text(json.dumps(got, indent=2, sort_keys=True) + "\n")
    assert got == json.loads(path.read_text())


def test_solution_gets_full_marks_and_a_leaderboard(
    graded_toy: Callable[[str], GradeReport],
) -> None:
    report = graded_toy("solution")
    assert report.max_score == 13 and report.score == report.max_score
    assert [t.status for t in report.tests] == ["passed"] * 8
    assert [e.name for e in report.leaderboard] == ["accuracy"]
    assert "toy note: a second worker answered" in report.output
    assert report.tests[-1].extra_data == {"second_worker": "answered"}
    assert report.output.startswith("device: cpu, 1 thread\nsandbox layers:")


def test_stubs_score_zero_as_not_implemented(graded_toy: Callable[[str], GradeReport]) -> None:
    report = graded_toy("starter")
    assert report.score == 0
    shown = [t.output for t in report.tests if t.visibility == "visible"]
    assert shown and all(out.startswith("not implemented yet: Task ") for out in shown)


def test_failures_name_the_student_code(graded_toy: Callable[[str], GradeReport]) -> None:
    def outputs(name: str) -> set[str]:
        return {t.output for t in graded_toy(name).tests if t.output}

    assert "timed out after 4 s of CPU time in `scaled_sum`" in outputs("hanging")
    assert "your code crashed (exit code 3) while running `scaled_sum`" in outputs("exiting")
    assert "your code crashed (SIGSEGV) while running `scaled_sum`" in outputs("segfault")
    assert (
        "your code raised ValueError: bad shape (models.py line 21) in `LinearClassifier.forward`"
        in outputs("raising")
    )
    assert "models.py line 21: SyntaxError: '(' was never closed" in outputs("syntax")
    assert "LinearClassifier not found in models.py" in outputs("missing")
    raising = next(t for t in graded_toy("raising").tests if t.number == "2.1")
    assert raising.detail.startswith('Traceback (your code only):\n  File "models.py", line 21')


def test_partial_credit_and_hidden_errors(graded_toy: Callable[[str], GradeReport]) -> None:
    tests = {t.name: t for t in graded_toy("wrong").tests}
    partial = tests["scaled_sum is right for several scales"]
    assert (partial.score, partial.status, partial.output) == (0.0, "failed", "0 of 4 scales right")
    hidden = tests["a hidden check on large inputs"]
    assert (hidden.visibility, hidden.output) == ("hidden", "the hidden check failed")
    assert tests["LinearClassifier returns (B, 3) logits"].status == "passed"


def test_printing_is_capped_and_kept_out_of_the_reason(
    graded_toy: Callable[[str], GradeReport],
) -> None:
    report = graded_toy("printing")
    assert report.score == report.max_score
    printed = [t for t in report.tests if t.detail]
    assert printed and all(t.output == "" for t in printed)
    detail = printed[0].detail
    assert detail.startswith("Your code printed:\nspam spam")
    assert re.search(r"\[\d+ more bytes not kept\]$", detail) and len(detail) < 70_000
