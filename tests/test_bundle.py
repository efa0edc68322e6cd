"""`grader bundle`: what goes in the zip, the size cap, the sandboxed import check, and
that the grader accepts the result."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from autograder_toy import TOTAL_POINTS, make_toy

from grader.bundle import bundle
from grader.errors import GraderError
from grader.homeworks import Homework


@pytest.fixture()
def toy(tmp_path: Path) -> Homework:
    return make_toy(tmp_path / "toy")


def _student_copy(toy: Homework, tmp_path: Path) -> Path:
    """A student's working folder: the finished package plus the clutter of real work."""
    work = tmp_path / "work"
    shutil.copytree(toy.solution_dir, work)
    pkg = work / "toyhw"
    (pkg / "__pycache__").mkdir()
    (pkg / "__pycache__" / "ops.cpython-311.pyc").write_bytes(b"\0" * 100)
    (pkg / "runs").mkdir()
    (pkg / "runs" / "events.out.tfevents.1.host").write_bytes(b"\0" * 100)
    (pkg / "model.pt").write_bytes(b"\0" * 5000)
    (pkg / "train.log").write_text("epoch 1\n")
    (pkg / "NOTES.md").write_text("my notes\n")
    (pkg / "scratch.py").write_text("x = 1\n")  # not a starter file
    return work


@pytest.mark.slow
def test_bundle_zips_the_package_without_clutter_and_grades(toy, tmp_path: Path) -> None:
    info = bundle(toy, package_dir=_student_copy(toy, tmp_path), out=tmp_path / "sub.zip")
    with zipfile.ZipFile(info.path) as archive:
        names = sorted(archive.namelist())
    assert names == ["toyhw/__init__.py", "toyhw/ops.py"]  # what the grader grades, no more
    assert info.size_bytes == info.path.stat().st_size
    assert info.warnings == ["toyhw/scratch.py is not a file of the starter; the grader ignores it"]
    from grader.api import grade

    report = grade(toy, info.path)
    assert report.score == pytest.approx(TOTAL_POINTS), [(t.name, t.output) for t in report.tests]


def test_bundle_refuses_a_package_that_does_not_import(toy, tmp_path: Path) -> None:
    work = _student_copy(toy, tmp_path)
    ops = work / "toyhw" / "ops.py"
    ops.write_text("from toyhw.scratch import x\n" + ops.read_text())  # scratch.py is ignored
    with pytest.raises(GraderError, match=r"toyhw does not import .*scratch") as caught:
        bundle(toy, package_dir=work, out=tmp_path / "sub.zip")
    assert "\n" not in str(caught.value)
    assert not (tmp_path / "sub.zip").exists()


def test_bundle_refuses_an_oversized_package_naming_the_biggest_files(toy, tmp_path) -> None:
    work = _student_copy(toy, tmp_path)
    ops = work / "toyhw" / "ops.py"
    ops.write_text(ops.read_text() + "W = '" + "0" * 300_000 + "'\n")
    with pytest.raises(GraderError, match=r"over the 0.10 MB cap; biggest: toyhw/ops.py"):
        bundle(toy, package_dir=work, out=tmp_path / "sub.zip", max_bytes=100_000)
    assert not (tmp_path / "sub.zip").exists()


def test_bundle_cli_refuses_a_missing_package_in_one_line(tmp_path: Path) -> None:
    from grader.homeworks import available

    done = subprocess.run(
        [sys.executable, "-m", "grader", "bundle", available()[0], "--dir", str(tmp_path)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "--dir" in done.stderr, done.stderr


@pytest.mark.slow  # two fresh interpreters import torch
def test_import_check_falls_back_to_a_subprocess_where_the_engine_cannot_run(
    toy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import grader.bundle

    def no_engine(*args: object) -> None:
        raise GraderError("a grading worker failed to start: fork is not available")

    monkeypatch.setattr(grader.bundle, "_import_in_worker", no_engine)
    work = _student_copy(toy, tmp_path)
    info = bundle(toy, package_dir=work, out=tmp_path / "ok.zip")
    assert info.path.is_file()
    (work / "toyhw" / "ops.py").write_text("import torch\nraise ValueError('boom at import')\n")
    with pytest.raises(GraderError, match=r"does not import .*ValueError: boom at import"):
        bundle(toy, package_dir=work, out=tmp_path / "broken.zip")
    assert not (tmp_path / "broken.zip").exists()
