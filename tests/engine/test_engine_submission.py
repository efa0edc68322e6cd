"""grade()'s own one-line errors, and a zip graded end to end (the upload rules are in
tests/test_intake.py)."""

from __future__ import annotations

import dataclasses
import zipfile
from pathlib import Path

import pytest
from toy_homework import TOY, make_submission

from grader.api import grade
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
