"""Every homework's public graded suite (assignments/<hw>/grading/, shipped to students).

It gives each task the handout's points, scores the untouched starter 0 with a "not
implemented yet" line per test, and the reference 100 (training included: the same budget
as the hidden suite, scored on the validation split), through the same engine as the
hidden suite.
"""

from __future__ import annotations

import pytest
from helpers import check_handout_points, check_no_crash_blamed

from grader import homeworks
from grader.api import grade

HOMEWORKS = homeworks.available()


@pytest.mark.parametrize("name", HOMEWORKS)
def test_public_suite_gives_the_handouts_points(name: str) -> None:
    hw = homeworks.get(name)
    assert hw.has_suite(public=True), f"{name}: no public graded suite in {hw.public_suite_dir}"
    check_handout_points(hw.starter_dir, hw.public_suite_dir)


@pytest.mark.parametrize("name", HOMEWORKS)
def test_public_suite_scores_the_starter_0_with_one_line_per_stub(name: str) -> None:
    hw = homeworks.get(name)
    report = grade(hw, hw.starter_dir, public=True, threads=1)
    assert report.suite == "public" and report.max_score == 100
    assert report.score == 0, [(t.number, t.score) for t in report.tests]
    for test in report.tests:
        assert test.output.startswith("not implemented yet: Task"), (test.number, test.output)
        assert "Traceback" not in test.output


@pytest.mark.slow
@pytest.mark.parametrize("name", HOMEWORKS)
def test_public_suite_gives_the_reference_every_point(name: str) -> None:
    hw = homeworks.get(name)
    assert hw.solution_dir is not None
    report = grade(hw, hw.solution_dir, public=True)
    lost = {t.number: t.output for t in report.tests if t.score < t.max_score}
    assert not lost, lost
    assert report.tests and report.score == report.max_score
    check_no_crash_blamed(report)
