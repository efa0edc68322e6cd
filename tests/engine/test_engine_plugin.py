"""The collector on the awkward cases: skips, errors in fixtures and in the hidden test's own
code, bare assertions, parametrised tests, numbering. One grade() of a generated suite."""

from __future__ import annotations

import dataclasses
import textwrap
from pathlib import Path

import pytest
from toy_homework import TOY, make_submission

from grader.api import grade
from grader.errors import GraderError
from grader.results import GradeReport

SUITE = '''
import pytest
import torch
from gradescope_utils.autograder_utils.decorators import number, partial_credit, weight


@pytest.fixture(scope="module")
def broken_model(grader_session):
    with grader_session.spawn() as student:
        return student.models.NoSuchModel()


@weight(1)
def test_skipped(student):
    """skipped on this machine"""
    pytest.skip("needs a GPU")


@weight(2)
def test_fixture_error(broken_model):
    """a module fixture that fails on the student's code"""


@weight(1)
def test_fixture_error_again(broken_model):
    """the same fixture, cached failure"""


@weight(1)
def test_internal_error(student):
    """a bug in the hidden test itself"""
    {}["hidden key 0.9731"]


@weight(1)
def test_bare_assert(student):
    """a bare assert does not print its numbers"""
    threshold = 0.9731
    assert student.models.scaled_sum(torch.ones(1, 2), 1.0).item() < threshold


@partial_credit(3)
def test_partial_then_assert(student, set_score):
    """points set before a failing assertion are kept"""
    set_score(1.5)
    assert False, "only half of it works"


@number("9.9")
@weight(1)
@pytest.mark.parametrize("b", [1, 2])
def test_param(student, b):
    """parametrised"""
    assert student.models.LinearClassifier()(torch.rand(b, 4)).shape == (b, 3), "bad shape"
'''


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> GradeReport:
    tmp = tmp_path_factory.mktemp("plugin")
    suite = tmp / "suite"
    suite.mkdir()
    (suite / "test_cases.py").write_text(textwrap.dedent(SUITE))
    submission = make_submission("solution", tmp / "solution")
    return grade(dataclasses.replace(TOY, suite_dir=suite), submission, threads=1)


def rows(report: GradeReport) -> list[tuple[str, str, float, float, str]]:
    return [(t.number, t.name, t.score, t.max_score, t.output) for t in report.tests]


def test_every_case_is_reported(report: GradeReport) -> None:
    assert rows(report) == [
        ("1", "skipped on this machine", 0.0, 1.0, "skipped: needs a GPU"),
        ("2", "a module fixture that fails on the student's code", 0.0, 2.0,
         "NoSuchModel not found in models.py"),
        ("3", "the same fixture, cached failure", 0.0, 1.0, "NoSuchModel not found in models.py"),
        ("4", "a bug in the hidden test itself", 0.0, 1.0,
         "the grader hit an internal error in this test (KeyError); please tell the course staff"),
        ("5", "a bare assert does not print its numbers", 0.0, 1.0, "a check failed"),
        ("6", "points set before a failing assertion are kept", 1.5, 3.0, "only half of it works"),
        ("9.9", "parametrised [1]", 1.0, 1.0, ""),
        ("9.9", "parametrised [2]", 1.0, 1.0, ""),
    ]  # fmt: skip


def test_hidden_details_stay_out_of_student_text(report: GradeReport) -> None:
    internal = report.tests[3]
    assert "0.9731" not in internal.output + internal.detail
    assert "hidden key 0.9731" in internal.extra_data["internal_error"]
    assert all("0.9731" not in t.output + t.detail for t in report.tests)


def test_a_broken_hidden_suite_is_a_grader_error(tmp_path: Path) -> None:
    suite = tmp_path / "suite"
    suite.mkdir()
    (suite / "test_broken.py").write_text("import no_such_module_for_the_grader\n")
    submission = make_submission("solution", tmp_path / "solution")
    with pytest.raises(GraderError, match="could not be loaded: .*no_such_module_for_the_grader"):
        grade(dataclasses.replace(TOY, suite_dir=suite), submission, threads=1)


@pytest.mark.parametrize(
    ("decorators", "message"),
    [
        (
            '@visibility("hiden")',
            "test_meta.py::test_typo: @visibility('hiden') is not one of 'visible', 'hidden', "
            "'after_due_date', 'after_published'",
        ),
        (
            '@weight("x")',
            "test_meta.py::test_typo: @weight('x') is not a finite number of points >= 0",
        ),
        (
            '@pytest.mark.timeout("soon")',
            "test_meta.py::test_typo: @pytest.mark.timeout('soon') is not a number of seconds > 0",
        ),
        ("@pytest.mark.timeout(-5)", "@pytest.mark.timeout(-5) is not a number of seconds > 0"),
    ],
)
def test_bad_metadata_stops_grading_in_one_line(
    tmp_path: Path, decorators: str, message: str
) -> None:
    suite = tmp_path / "suite"
    suite.mkdir()
    (suite / "test_meta.py").write_text(
        "import pytest\n"
        "from gradescope_utils.autograder_utils.decorators import visibility, weight\n\n\n"
        "def test_fine(student):\n    pass\n\n\n"
        f"{decorators}\ndef test_typo(student):\n    pass\n"
    )
    submission = make_submission("solution", tmp_path / "solution")
    with pytest.raises(GraderError) as caught:
        grade(dataclasses.replace(TOY, suite_dir=suite), submission, threads=1)
    text = str(caught.value)
    assert message in text and "\n" not in text, text


def test_unknown_visibility_never_becomes_visible() -> None:
    from grader.engine.collect import Outcome, build_result

    def test_x() -> None: ...

    test_x.__visibility__ = "hiden"  # type: ignore[attr-defined]
    result = build_result(test_x, item_name="test_x", auto_number="1", outcome=Outcome(True))
    assert result.visibility == "hidden"
