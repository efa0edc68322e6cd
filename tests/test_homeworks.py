"""Every homework declares itself and is complete; a new one needs only its own folders.

The last test builds a throwaway sixth homework from the toy template in a temporary
course root, points the grader at it with $GRADER_HOMEWORK_ROOTS (no project file edited)
and grades its reference and its starter end to end.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from grader import homeworks
from grader.api import grade
from grader.errors import GraderError
from grader.homeworks import SPEC_FILE, HomeworkSpec

TEMPLATE = Path(__file__).resolve().parent / "autograder_toy"  # starter/, solution/, suite/
SPEC = 'title = "a throwaway homework"\ndataset = "images"\nbench_target_s = 30\n'


@pytest.mark.parametrize("name", homeworks.available())
def test_every_homework_is_complete(name: str) -> None:
    hw = homeworks.get(name)
    assert hw.problems() == []  # an incomplete homework fails here, it is never skipped
    assert hw.spec.bench_target_s > 0 and hw.spec.title


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('title = "t"\ndataset = "images"\n', "bench_target_s must be seconds > 0, got None"),
        (SPEC + "leaderbord = 1\n", "unknown key 'leaderbord'"),
        ('title = ""\ndataset = "images"\nbench_target_s = 3\n', "title must be a non-empty"),
        ("title = [", "cannot be read as TOML"),
    ],
)
def test_a_bad_declaration_names_the_file_and_the_key(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / SPEC_FILE
    path.write_text(text)
    with pytest.raises(GraderError, match=message) as caught:
        HomeworkSpec.load(path)
    assert str(caught.value).startswith(str(path))


def _throwaway_course(root: Path, name: str) -> None:
    """Lay the toy template out as homework `name` of a course root: its folders only."""
    for part, dest in (("starter", "assignments"), ("solution", "solutions")):
        shutil.copytree(TEMPLATE / part / "toyhw", root / dest / name / name)
    suite = root / "grader" / "suites" / name
    suite.mkdir(parents=True)
    shutil.copyfile(TEMPLATE / "suite" / "hidden_toy.py", suite / f"test_{name}.py")
    public = root / "assignments" / name / "grading"  # the public graded suite, shipped
    public.mkdir()
    shutil.copyfile(TEMPLATE / "suite" / "hidden_toy.py", public / "test_public.py")
    (suite / SPEC_FILE).write_text(SPEC)
    (root / "assignments" / name / "README.md").write_text(f"# Homework 6: {name}\n")


@pytest.mark.slow
def test_a_sixth_homework_grades_from_its_own_folders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _throwaway_course(tmp_path / "course", "hw6")
    with pytest.raises(GraderError, match="unknown homework 'hw6'"):
        homeworks.get("hw6")
    monkeypatch.setenv(homeworks.ROOTS_ENV, str(tmp_path / "course"))
    hw = homeworks.get("hw6")
    assert "hw6" in homeworks.available() and hw.problems() == []
    assert hw.solution_dir is not None
    solved = grade("hw6", hw.solution_dir, threads=1)
    assert solved.score == pytest.approx(3.0), [(t.name, t.output) for t in solved.tests]
    started = grade("hw6", hw.starter_dir, threads=1)
    assert started.score == 0 and started.max_score == pytest.approx(3.0)
    estimate = grade("hw6", hw.solution_dir, threads=1, public=True)
    assert estimate.suite == "public" and estimate.score == pytest.approx(3.0)
