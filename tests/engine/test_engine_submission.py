"""What grade() accepts as a submission, and the one-line errors for everything else."""

from __future__ import annotations

import dataclasses
import zipfile
from pathlib import Path

import pytest
from toy_homework import TOY, make_submission

from grader.api import grade
from grader.engine.submission import locate_submission
from grader.errors import GraderError


@pytest.fixture
def solution(tmp_path: Path) -> Path:
    return make_submission("solution", tmp_path / "solution")


def zip_of(path: Path, entries: dict[str, str | bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in entries.items():
            archive.writestr(zipfile.ZipInfo(name), data)
    return path


def package_files(solution: Path) -> dict[str, bytes]:
    pkg = solution / "toyhw"
    return {p.name: p.read_bytes() for p in pkg.glob("*.py")}


def test_a_folder_holding_the_package_is_used_as_is(solution: Path, tmp_path: Path) -> None:
    assert locate_submission(solution, TOY, tmp_path / "staging") == solution


def test_the_package_folder_itself_is_copied_without_extra_files(
    solution: Path, tmp_path: Path
) -> None:
    (solution / "toyhw" / "conftest.py").write_text("raise SystemExit")
    root = locate_submission(solution / "toyhw", TOY, tmp_path / "staging")
    assert sorted(p.name for p in (root / "toyhw").iterdir()) == ["__init__.py", "models.py"]


@pytest.mark.parametrize("layout", ["package", "bare", "wrapped"])
def test_zips_in_the_usual_layouts(solution: Path, tmp_path: Path, layout: str) -> None:
    prefix = {"package": "toyhw/", "bare": "", "wrapped": "hw/toyhw/"}[layout]
    files = {prefix + name: data for name, data in package_files(solution).items()}
    files["__MACOSX/._models.py"] = b"junk"
    archive = zip_of(tmp_path / "sub.zip", files)
    root = locate_submission(archive, TOY, tmp_path / "staging")
    assert (root / "toyhw" / "models.py").read_bytes() == (
        solution / "toyhw" / "models.py"
    ).read_bytes()


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ({"../evil.py": "x"}, "leaves the zip"),
        ({"/etc/evil.py": "x"}, "absolute path"),
        ({"a/toyhw/models.py": "x", "b/toyhw/models.py": "x"}, "several top-level folders (a, b)"),
        ({"notes.txt": "x"}, "no toyhw/ package found"),
    ],
)
def test_bad_zips_are_one_line_errors(
    tmp_path: Path, entries: dict[str, str], message: str
) -> None:
    archive = zip_of(tmp_path / "sub.zip", entries)
    with pytest.raises(GraderError, match=message.replace("(", r"\(").replace(")", r"\)")):
        locate_submission(archive, TOY, tmp_path / "staging")


def test_corrupt_zip_missing_path_and_other_files(tmp_path: Path) -> None:
    corrupt = tmp_path / "sub.zip"
    corrupt.write_bytes(b"PK\x03\x04 this is not a zip")
    with pytest.raises(GraderError, match="not a readable .zip"):
        locate_submission(corrupt, TOY, tmp_path / "staging")
    with pytest.raises(GraderError, match="does not exist"):
        locate_submission(tmp_path / "nope", TOY, tmp_path / "staging")
    text = tmp_path / "sub.txt"
    text.write_text("hi")
    with pytest.raises(GraderError, match="not a .zip"):
        locate_submission(text, TOY, tmp_path / "staging")


def test_grade_rejects_unknown_homeworks_and_missing_suites(solution: Path, tmp_path: Path) -> None:
    with pytest.raises(GraderError, match="unknown homework 'no-such-hw'"):
        grade("no-such-hw", solution)
    empty = tmp_path / "suite"
    empty.mkdir()
    with pytest.raises(GraderError, match="has no hidden suite"):
        grade(dataclasses.replace(TOY, suite_dir=empty), solution)


def test_grade_a_zip_end_to_end(solution: Path, tmp_path: Path) -> None:
    files = {"toyhw/" + name: data for name, data in package_files(solution).items()}
    report = grade(TOY, zip_of(tmp_path / "sub.zip", files), threads=1, keyword="linear_shape")
    assert [(t.name, t.score, t.max_score) for t in report.tests] == [
        ("LinearClassifier returns (B, 3) logits", 2.0, 2.0)
    ]
    assert report.submission.endswith("sub.zip") and report.execution_time > 0
