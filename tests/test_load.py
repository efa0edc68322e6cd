"""A grade does not move with the machine's load: budgets are charged in CPU time.

The hw1 reference is graded beside two busy processes (bounded, started and stopped
here) and must earn the same points, test by test, as it does without them. The
figures for every homework beside 1 and 3 hogs come from `python -m grader.bench
--only load` (docs/benchmarks.md).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from grader.bench.hogs import cpu_hogs
from grader.results import GradeReport

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_hw1_reference_scores_the_same_beside_cpu_hogs(
    graded: Callable[..., GradeReport],
) -> None:
    from grader.api import grade

    solution = ROOT / "solutions" / "hw1"
    quiet = graded("hw1", solution)
    with cpu_hogs(2):
        loaded = grade("hw1", solution)
    points = [[(t.number, t.name, t.score) for t in r.tests] for r in (quiet, loaded)]
    assert loaded.score == loaded.max_score == quiet.score, [t.output for t in loaded.tests]
    assert points[1] == points[0]
    trained = [t.extra_data["training"] for t in loaded.tests if "training" in t.extra_data]
    assert trained and trained[0]["unit"] == "CPU s"
    assert trained[0]["time_used_s"] < trained[0]["budget_s"]
