"""Batch grading: submissions found (any name, any archive case), jobs, the journal with
retries and corrupt entries, the gradebook, imports and the HTML report."""

from __future__ import annotations

import csv
import json
import os
import shutil
import stat
import tarfile
import zipfile
from pathlib import Path

import pytest

from grader.batch import Journal, find_submissions, plan, run_local, run_slurm
from grader.batch.gradebook import summarise
from grader.batch.job import grader_side_failure
from grader.batch.journal import FAILED, GRADED, journal_key
from grader.batch.slurm import SlurmOptions
from grader.batch.text import clean, csv_cell, html_text
from grader.errors import GraderError
from grader.homeworks import Homework
from grader.results import GradeReport, TestResult

TOY = Path(__file__).parent / "batch_toy"
HW = Homework(
    name="batchhw", package="batchhw", starter_dir=TOY / "starter", suite_dir=TOY / "suite"
)
UNICODE = "José García"


def _zip(src: Path, dest: Path) -> None:
    with zipfile.ZipFile(dest, "w") as zf:
        for path in src.rglob("*.py"):
            zf.write(path, path.relative_to(src).as_posix())


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Six submissions graded once: (submissions folder, output folder)."""
    root = tmp_path_factory.mktemp("batch")
    subs = root / "subs"
    shutil.copytree(TOY / "solution", subs / "ada")
    shutil.copytree(TOY / "starter", subs / "bob")
    (subs / "cy.zip").write_bytes(b"this is not a zip file")
    _zip(TOY / "solution", subs / "dee.ZIP")
    shutil.copytree(TOY / "solution", subs / UNICODE)
    with tarfile.open(subs / "Eve.TAR.GZ", "w:gz") as tar:
        tar.add(TOY / "solution" / "batchhw", arcname="batchhw")
    shutil.copytree(TOY / "solution", subs / "mallory\n")
    (subs / "notes.txt").write_text("neither a folder nor an archive")
    out = root / "out"
    found = find_submissions(subs)
    journal = Journal(out / "journal")
    outcome = run_local(
        plan(HW, found.submissions, journal).jobs, workers=2, log_dir=out / "logs", progress=False
    )
    assert outcome.stopped == ""
    summarise(
        journal,
        out,
        students=list(found.submissions),
        skipped=found.skipped,
        provenance={"homework": "batchhw", "commit": "abc123", "device": "cpu"},
    )
    return subs, out


def test_submissions_any_name_any_archive_case_and_skips_with_reasons(batch) -> None:
    subs, _ = batch
    found = find_submissions(subs)
    assert sorted(found.submissions) == sorted(["ada", "bob", "cy", "dee", UNICODE, "Eve"])
    skipped = dict(found.skipped)
    assert "control characters (U+000A)" in skipped["mallory\\n"]
    assert "not a folder" in skipped["notes.txt"]


def test_statuses_scores_and_gradebook(batch) -> None:
    _, out = batch
    entries = {e.student: e for e in Journal(out / "journal").entries()}
    assert {s: e.status for s, e in entries.items()} == {
        "ada": "graded",
        "bob": "graded",
        "cy": "rejected",
        "dee": "graded",
        UNICODE: "graded",
        "Eve": "graded",
    }
    assert (out / "journal" / f"{journal_key(UNICODE)}.json").is_file()
    assert journal_key(UNICODE).isascii() and " " not in journal_key(UNICODE)
    rows = {r["student"]: r for r in csv.DictReader((out / "gradebook.csv").open())}
    assert rows["ada"]["score (max 5)"] == "5" and rows["ada"]["1.1 double(3) is 6 (max 2)"] == "2"
    assert rows["bob"]["score (max 5)"] == "0"  # the untouched starter loses every point
    assert rows[UNICODE]["score (max 5)"] == "5" and rows["Eve"]["score (max 5)"] == "5"
    assert rows["cy"]["score (max 5)"] == "" and "zip" in rows["cy"]["reason"]
    assert rows["ada"]["graded_at"].endswith("Z")
    canvas = list(csv.DictReader((out / "import-canvas.csv").open()))
    assert {r["SIS Login ID"]: r["batchhw"] for r in canvas}["cy"] == ""
    assert "not implemented yet" in (out / "feedback" / "bob.txt").read_text()
    assert (out / "plots" / "tests.png").stat().st_size > 1000


def test_files_respect_the_umask(batch, tmp_path: Path) -> None:
    _, out = batch
    old = os.umask(0o027)
    try:
        summarise(Journal(out / "journal"), tmp_path / "o", plots=False)
    finally:
        os.umask(old)
    for name in ("gradebook.csv", "report.html", "feedback/ada.txt"):
        assert stat.S_IMODE((tmp_path / "o" / name).stat().st_mode) == 0o640, name


def test_retries_corrupt_entries_and_chosen_regrades(batch, tmp_path: Path) -> None:
    subs, out = batch
    journal = Journal(tmp_path / "journal")
    shutil.copytree(out / "journal", journal.folder)
    found = find_submissions(subs).submissions
    assert plan(HW, found, journal).jobs == []
    journal.commit("ada", FAILED, error="killed by SIGKILL", attempts=1)
    journal.path("bob").write_text('{"student": "bob", "sta')  # a half-written file
    todo = plan(HW, found, journal, max_attempts=2)
    assert sorted(j.student for j in todo.jobs) == ["ada", "bob"]
    assert todo.retrying == ["ada"] and todo.jobs[0].attempt == 2
    assert len(todo.corrupt) == 1 and todo.corrupt[0].startswith("bob.json: ")
    assert list((journal.folder / "corrupt").iterdir())
    journal.commit("ada", FAILED, error="killed again", attempts=2)
    assert plan(HW, found, journal, max_attempts=2).gave_up == ["ada"]
    chosen = plan(HW, found, journal, regrade=["Eve", UNICODE])
    assert {j.student for j in chosen.jobs} >= {"Eve", UNICODE}
    with pytest.raises(GraderError, match="no submission named 'ev'; did you mean 'Eve'"):
        plan(HW, found, journal, regrade=["ev"])


def test_a_job_that_dies_is_a_grader_side_failure(batch, tmp_path: Path) -> None:
    subs, _ = batch
    journal = Journal(tmp_path / "journal")
    jobs = plan(HW, {"ada": subs / "ada"}, journal, time_limit_s=0.5).jobs
    outcome = run_local(jobs, log_dir=tmp_path / "logs", progress=False)
    assert outcome.statuses == {"ada": "failed"}
    (entry,) = journal.entries()
    assert entry.report is None and "longer than 0.5 s" in entry.error
    assert [j.attempt for j in plan(HW, {"ada": subs / "ada"}, journal).jobs] == [2]


def test_an_internal_error_in_a_hidden_test_is_not_the_students() -> None:
    broken = TestResult(
        "2.1",
        "train",
        0.0,
        5.0,
        "failed",
        extra_data={"internal_error": "Trace\nDatasetError: images missing"},
    )
    report = GradeReport("hw1", "x", tests=[broken])
    assert grader_side_failure(report) == "grader error in test 2.1: DatasetError: images missing"
    assert grader_side_failure(GradeReport("hw1", "x", tests=[])) == ""


def test_missing_data_refuses_to_start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from grader import homeworks
    from grader.batch.preflight import preflight

    monkeypatch.setenv("COURSEDATA_DIR", str(tmp_path / "nodata"))
    monkeypatch.setenv("COURSEDATA_HIDDEN_DIR", str(tmp_path / "nohidden"))
    with pytest.raises(
        GraderError, match=r"^cannot start: dataset images/train: missing.*run `grader data images`"
    ):
        preflight(homeworks.get("hw1"), device="cpu", threads=1)


def test_student_strings_are_escaped() -> None:
    assert clean("a\nb\x1b[31m\ud800") == "a\\nb\\x1b[31m\ufffd"
    assert html_text('<script>"x"</script>') == "&lt;script&gt;&quot;x&quot;&lt;/script&gt;"
    assert csv_cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"


def test_html_report_escapes_names(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal")
    journal.commit("<b>x</b>", "rejected", error="<img src=x onerror=alert(1)>")
    summary = summarise(journal, tmp_path, plots=False)
    page = summary.report.read_text()
    assert "<b>x</b>" not in page and "&lt;b&gt;x&lt;/b&gt;" in page
    assert "<img src=x" not in page


def test_slurm_path_runs_through_submitit(batch, tmp_path: Path) -> None:
    subs, _ = batch
    journal = Journal(tmp_path / "out" / "journal")
    jobs = plan(HW, {"ada": subs / "ada"}, journal).jobs
    outcome = run_slurm(
        jobs,
        out=tmp_path / "out",
        options=SlurmOptions(cluster="local"),
        progress=False,
        poll_s=0.2,
    )
    assert outcome.statuses == {"ada": GRADED}
    assert journal.entries()[0].report.score == 5.0
    record = json.loads((tmp_path / "out" / "slurm" / "arrays.json").read_text())
    assert [list(tasks.values()) for tasks in record.values()] == [["ada"]]


def test_bad_submission_folders_are_one_line_errors(tmp_path: Path) -> None:
    with pytest.raises(GraderError, match="does not exist"):
        find_submissions(tmp_path / "missing")
    with pytest.raises(GraderError, match="no submissions"):
        find_submissions(tmp_path)
    (tmp_path / "amy").mkdir()
    (tmp_path / "amy.zip").write_bytes(b"")
    (tmp_path / "bo").mkdir()
    found = find_submissions(tmp_path)
    assert list(found.submissions) == ["bo"]
    assert "several submissions" in dict(found.skipped)["amy"]
