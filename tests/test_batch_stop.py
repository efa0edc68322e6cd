"""The batch owns its jobs: killed, interrupted or doubled, it loses nothing, grades
nothing twice and leaves no job running behind it."""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import batch_job_pids

TOY = Path(__file__).parent / "batch_toy"
DRIVE = [sys.executable, str(TOY / "drive.py")]
STUDENTS = ["s1", "s2", "s3", "s4", "s5", "s6"]

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux signals")


@pytest.fixture
def subs(tmp_path: Path) -> Path:
    folder = tmp_path / "subs"
    for name in STUDENTS:
        shutil.copytree(TOY / "solution", folder / name)
    return folder


def _start(subs: Path, out: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*DRIVE, str(subs), str(out), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _journal(out: Path) -> dict[str, dict]:
    folder = out / "journal"
    return (
        {p.stem: json.loads(p.read_text()) for p in folder.glob("*.json")}
        if folder.is_dir()
        else {}
    )


def _wait_for_entries(out: Path, n: int, proc: subprocess.Popen[str], timeout: float = 240) -> None:
    end = time.monotonic() + timeout
    while len(_journal(out)) < n:
        assert proc.poll() is None, f"the batch ended early: {proc.communicate()[0]}"
        assert time.monotonic() < end, "no submission was graded in time"
        time.sleep(0.1)


def _assert_no_jobs_left(out: Path, within_s: float = 10) -> None:
    end = time.monotonic() + within_s
    while batch_job_pids(out) and time.monotonic() < end:
        time.sleep(0.1)
    assert batch_job_pids(out) == [], "a job outlived its batch"


def _rerun_and_check(subs: Path, out: Path, before: dict[str, dict]) -> None:
    rerun = subprocess.run(
        [*DRIVE, str(subs), str(out)], capture_output=True, text=True, timeout=600
    )
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    left = len(STUDENTS) - len(before)
    assert f"{len(before)} already done, {left} to grade" in rerun.stdout
    after = _journal(out)
    assert sorted(after) == STUDENTS  # 0 lost
    assert all(e["status"] == "graded" for e in after.values())
    for name, entry in before.items():  # 0 graded twice: what was done stays as it was
        assert after[name]["run_id"] == entry["run_id"]
    mtimes = {p.name: p.stat().st_mtime_ns for p in (out / "journal").glob("*.json")}
    time.sleep(1.0)  # an orphan still grading would rewrite its entry now
    assert mtimes == {p.name: p.stat().st_mtime_ns for p in (out / "journal").glob("*.json")}


def test_sigkill_mid_run_then_rerun_loses_nothing_and_grades_nothing_twice(
    subs: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    proc = _start(subs, out, "--jobs", "2")
    _wait_for_entries(out, 1, proc)
    assert batch_job_pids(out), "expected jobs in flight at the kill"
    proc.kill()
    proc.communicate()
    _assert_no_jobs_left(out)
    before = {k: v for k, v in _journal(out).items() if v["status"] == "graded"}
    assert 1 <= len(before) < len(STUDENTS)
    _rerun_and_check(subs, out, before)


def test_ctrl_c_stops_within_seconds_and_writes_the_gradebook(subs: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = _start(subs, out, "--jobs", "2")
    _wait_for_entries(out, 1, proc)
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    output = proc.communicate(timeout=60)[0]
    assert time.monotonic() - sent < 15, "Ctrl-C took too long to stop the batch"
    assert proc.returncode == 130, output
    _assert_no_jobs_left(out)
    before = _journal(out)
    rows = {r["student"]: r for r in csv.DictReader((out / "gradebook.csv").open())}
    assert sorted(rows) == STUDENTS
    for name in STUDENTS:
        if name in before:
            assert rows[name]["score (max 5)"] == "5"
        else:
            assert rows[name]["status"] == "not graded yet" and rows[name]["score (max 5)"] == ""
    assert len(before) < len(STUDENTS), "the batch finished before Ctrl-C"
    _rerun_and_check(subs, out, before)


def test_sigterm_stops_the_jobs(subs: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = _start(subs, out, "--jobs", "2")
    _wait_for_entries(out, 1, proc)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 130
    _assert_no_jobs_left(out)


def test_a_second_batch_on_the_same_folder_is_refused(subs: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = _start(subs, out)
    end = time.monotonic() + 120
    while not (out / ".lock").is_file() or not (out / ".lock").read_text():
        assert first.poll() is None and time.monotonic() < end, "the first batch did not start"
        time.sleep(0.1)
    second = subprocess.run(
        [*DRIVE, str(subs), str(out)], capture_output=True, text=True, timeout=120
    )
    first.kill()
    first.communicate()
    assert second.returncode == 2
    lines = second.stderr.strip().splitlines()
    assert len(lines) == 1 and "another batch is already grading" in lines[0]
    assert f"pid {first.pid}" in lines[0]
    assert _journal(out) == {} or all(e["student"] in STUDENTS for e in _journal(out).values())


def test_the_lock_dies_with_its_holder(subs: Path, tmp_path: Path) -> None:
    """A batch killed outright leaves the lock file, but not the lock."""
    out = tmp_path / "out"
    first = _start(subs, out)
    while not (out / ".lock").is_file() or not (out / ".lock").read_text():
        assert first.poll() is None
        time.sleep(0.1)
    os.kill(first.pid, signal.SIGKILL)
    first.communicate()
    from grader.batch.lock import batch_lock

    with batch_lock(out):
        pass
