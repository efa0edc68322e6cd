"""Batch grading: jobs per submission, a resumable journal, gradebook, feedback, plots."""

from __future__ import annotations

import csv
import shutil
import zipfile
from pathlib import Path

import pytest

from grader.batch import Journal, find_submissions, plan, run_local, run_slurm, summarise
from grader.errors import GraderError
from grader.homeworks import Homework

TOY = Path(__file__).parent / "batch_toy"
HW = Homework(name="batchhw", package="batchhw", starter_dir=TOY / "starter",
              suite_dir=TOY / "suite")


@pytest.fixture
def submissions(tmp_path: Path) -> Path:
    folder = tmp_path / "subs"
    shutil.copytree(TOY / "solution", folder / "ada")
    shutil.copytree(TOY / "starter", folder / "bob")
    (folder / "cy.zip").write_bytes(b"this is not a zip file")
    with zipfile.ZipFile(folder / "dee.zip", "w") as zf:  # a good zipped submission
        for path in (TOY / "solution").rglob("*.py"):
            zf.write(path, path.relative_to(TOY / "solution").as_posix())
    (folder / "notes.txt").write_text("ignored: neither a folder nor a zip")
    return folder


def test_batch_grades_resumes_and_summarises(submissions: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    journal = Journal(out / "journal")
    found = find_submissions(submissions)
    assert sorted(found) == ["ada", "bob", "cy", "dee"]

    statuses = run_local(plan(HW, found, journal), workers=2, progress=False)
    assert statuses == {"ada": "graded", "bob": "graded", "cy": "error", "dee": "graded"}

    summary = summarise(journal, out)
    rows = {r["student"]: r for r in csv.DictReader(summary.gradebook.open())}
    assert rows["ada"]["score"] == "5.0" and rows["ada"]["max_score"] == "5.0"
    assert rows["dee"]["score"] == "5.0"
    assert rows["bob"]["score"] == "0.0"  # the untouched starter
    assert rows["cy"]["status"] == "error" and "zip" in rows["cy"]["error"]
    assert rows["ada"]["1.1 double(3) is 6"] == "2.0"
    assert (summary.graded, summary.errors) == (3, 1)
    assert "not implemented yet" in (summary.feedback_dir / "bob.txt").read_text()
    assert all(p.stat().st_size > 1000 for p in summary.plots)

    # A rerun plans nothing; losing one journal entry regrades only that submission.
    assert plan(HW, found, journal) == []
    journal.path("bob").unlink()
    assert [job.student for job in plan(HW, found, journal)] == ["bob"]
    assert len(plan(HW, found, journal, regrade=True)) == 4


def test_overrunning_job_is_stopped_and_recorded(submissions: Path, tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal")
    jobs = plan(HW, {"ada": submissions / "ada"}, journal, time_limit_s=0.5)
    assert run_local(jobs, progress=False) == {"ada": "error"}
    (entry,) = journal.entries()
    assert entry.report is None and "longer than 0.5 s" in entry.error


def test_slurm_path_runs_through_submitit(submissions: Path, tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal")
    jobs = plan(HW, {"ada": submissions / "ada"}, journal)
    statuses = run_slurm(jobs, log_folder=tmp_path / "slurm", cluster="local",
                         slurm={"timeout_min": 5}, progress=False, poll_s=0.2)
    assert statuses == {"ada": "graded"}
    assert journal.entries()[0].report.score == 5.0


def test_bad_submission_folders_are_one_line_errors(tmp_path: Path) -> None:
    with pytest.raises(GraderError, match="does not exist"):
        find_submissions(tmp_path / "missing")
    with pytest.raises(GraderError, match="no submissions"):
        find_submissions(tmp_path)
    (tmp_path / "amy").mkdir()
    (tmp_path / "amy.zip").write_bytes(b"")
    with pytest.raises(GraderError, match="two submissions for 'amy'"):
        find_submissions(tmp_path)
