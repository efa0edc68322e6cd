"""Batch grading on a real single-node Slurm cluster (tests/slurm_cluster.py starts it):
array submission, scores equal to a local run, and a pending and a running task cancelled
with `scancel` that the first run journals as failed (without hanging) and the rerun
grades. Skipped, with the reason, without Slurm and MUNGE binaries or without root.

    .venv/bin/python -m pytest tests -k slurm
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import batch_job_pids
from slurm_cluster import SlurmCluster, unavailable

from grader.batch import slurm as batch_slurm
from grader.batch.run import BatchResult, run_batch
from grader.batch.slurm import SlurmOptions
from grader.homeworks import Homework

TOY = Path(__file__).parent / "batch_toy"
HW = Homework(
    name="batchhw", package="batchhw", starter_dir=TOY / "starter", suite_dir=TOY / "suite"
)
EXPECTED = {"ada": "5", "bob": "0", "cy": "2", "dee": "5"}  # score (max 5)
SCORE_COLUMNS = ("score (max 5)", "1.1 double(3) is 6 (max 2)", "1.2 double(-2.5) is -5 (max 3)")
RUN_LIMIT_S = 300.0  # each run must end by itself well before this (no hang), even on a
# busy 2-core machine

needs_slurm = pytest.mark.skipif(bool(unavailable()), reason=unavailable() or "Slurm is here")


@pytest.fixture(scope="module")
def cluster() -> Iterator[SlurmCluster]:
    with SlurmCluster(cpus=2) as started:
        saved = os.environ.get("SLURM_CONF")
        os.environ.update(started.env)  # submitit's sbatch and the batch's squeue use it
        try:
            yield started
        finally:
            if saved is None:
                os.environ.pop("SLURM_CONF", None)
            else:
                os.environ["SLURM_CONF"] = saved


@pytest.fixture(scope="module")
def subs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Four submissions: full marks (a folder and a zip), the starter, half-right."""
    folder = tmp_path_factory.mktemp("slurm") / "subs"
    shutil.copytree(TOY / "solution", folder / "ada")
    shutil.copytree(TOY / "starter", folder / "bob")
    shutil.copytree(TOY / "solution", folder / "cy")
    (folder / "cy" / "batchhw" / "ops.py").write_text(
        "def double(x: float) -> float:\n    return abs(2 * x)\n"
    )
    with zipfile.ZipFile(folder / "dee.zip", "w") as zf:
        for path in (TOY / "solution").rglob("*.py"):
            zf.write(path, path.relative_to(TOY / "solution").as_posix())
    return folder


@pytest.fixture(scope="module")
def local_scores(subs: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    out = tmp_path_factory.mktemp("local") / "out"
    result, lines = _batch(subs, out, jobs=2)
    assert result.outcome.stopped == "", lines
    scores = _scores(out)
    assert {s: row["score (max 5)"] for s, row in scores.items()} == EXPECTED
    return scores


def _batch(
    subs: Path, out: Path, *, slurm: SlurmOptions | None = None, jobs: int = 1
) -> tuple[BatchResult, list[str]]:
    """One `grader batch` run (the first one bounded by its deadline) and what it printed."""
    lines: list[str] = []
    result = run_batch(
        HW,
        subs,
        out=out,
        jobs=jobs,
        threads=1,
        device="cpu",
        deadline_s=RUN_LIMIT_S,
        slurm=slurm,
        plots=False,
        progress=False,
        echo=lines.append,
    )
    return result, lines


def _options(parallel: int) -> SlurmOptions:
    return SlurmOptions(cpus=1, mem_gb=1, time_min=10, parallel=parallel)


def _scores(out: Path) -> dict[str, dict]:
    rows = csv.DictReader((out / "gradebook.csv").open())
    return {r["student"]: {c: r[c] for c in ("status", *SCORE_COLUMNS)} for r in rows}


def _journal(out: Path) -> dict[str, dict]:
    return {
        e["student"]: e
        for e in (json.loads(p.read_text()) for p in (out / "journal").glob("*.json"))
    }


def _tasks(out: Path) -> dict[str, str]:
    """task id ("12_3") -> student, over every array this out folder submitted."""
    arrays = json.loads((out / "slurm" / "arrays.json").read_text())
    return {task: student for tasks in arrays.values() for task, student in tasks.items()}


@needs_slurm
@pytest.mark.timeout(900)
def test_slurm_array_grades_as_a_local_run_does(
    cluster: SlurmCluster, subs: Path, local_scores: dict[str, dict], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    started = time.monotonic()
    result, lines = _batch(subs, out, slurm=_options(parallel=2))
    assert result.outcome.stopped == "", lines
    assert time.monotonic() - started < RUN_LIMIT_S
    assert any(line.startswith("submitted Slurm array") for line in lines), lines
    tasks = _tasks(out)
    assert len({task.split("_")[0] for task in tasks}) == 1, "one array for every submission"
    assert sorted(tasks.values()) == sorted(EXPECTED)
    assert _scores(out) == local_scores
    assert _drained(cluster), cluster.queue()
    assert not list((out / "slurm").glob("*.pkl")), "graded tasks' logs are cleaned"


@needs_slurm
@pytest.mark.timeout(900)
def test_scancel_of_a_pending_and_a_running_task_then_the_rerun_grades_them(
    cluster: SlurmCluster,
    subs: Path,
    local_scores: dict[str, dict],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A cancelled task leaves the queue without a result; the batch journals it as failed
    # after this grace (60 s on a real cluster, where squeue and NFS may lag each other).
    monkeypatch.setattr(batch_slurm, "VANISHED_GRACE_S", 5.0)
    three = tmp_path / "subs"  # one task at a time: the first and last cancelled, one graded
    for name in ("ada", "bob", "cy"):
        shutil.copytree(subs / name, three / name)
    expected = {name: local_scores[name] for name in ("ada", "bob", "cy")}
    out = tmp_path / "out"
    cancelled: dict[str, str] = {}  # task id -> its state when scancel was sent
    done = threading.Event()
    canceller = threading.Thread(target=_cancel_first_and_last, args=(cluster, cancelled, done))
    canceller.start()
    started = time.monotonic()
    try:
        first, lines = _batch(three, out, slurm=_options(parallel=1))
    finally:
        done.set()
        canceller.join()
    took = time.monotonic() - started
    assert first.outcome.stopped == "", f"the first run hung: {lines}"
    assert took < RUN_LIMIT_S
    assert sorted(cancelled.values()) == ["PENDING", "RUNNING"], cancelled
    tasks = _tasks(out)
    victims = {tasks[task] for task in cancelled}
    before = _journal(out)
    assert sorted(before) == sorted(expected), "every submission has an entry after run 1"
    states = {tasks[task]: state for task, state in cancelled.items()}
    for student, entry in before.items():
        why = entry.get("error", "")
        if states.get(student) == "PENDING":
            assert entry["status"] == "failed" and "left the queue without a result" in why
        elif student in victims:  # its job either died with the task or got the SIGTERM
            assert entry["status"] == "failed", entry
            assert "left the queue without a result" in why or "SIGTERM" in why, why
        else:
            assert entry["status"] == "graded", entry
    assert _drained(cluster), cluster.queue()
    end = time.monotonic() + 15
    while batch_job_pids(out) and time.monotonic() < end:
        time.sleep(0.2)
    assert batch_job_pids(out) == [], "the cancelled running task left its job behind"

    rerun, lines = _batch(three, out, slurm=_options(parallel=2))
    assert rerun.outcome.stopped == "", lines
    assert "1 already done, 2 to grade (2 retries" in " ".join(lines)
    after = _journal(out)
    assert {s: e["status"] for s, e in after.items()} == dict.fromkeys(expected, "graded")
    for student, entry in before.items():  # nothing graded twice
        if student in victims:
            assert after[student]["run_id"] != entry["run_id"]  # the rerun's job graded it
        else:
            assert after[student] == entry
    resubmitted = sorted(s for t, s in _tasks(out).items() if t not in tasks)
    assert resubmitted == sorted(victims)
    assert _scores(out) == expected
    mtimes = {p.name: p.stat().st_mtime_ns for p in (out / "journal").glob("*.json")}
    time.sleep(1.0)  # a cancelled task still grading somewhere would rewrite its entry now
    assert mtimes == {p.name: p.stat().st_mtime_ns for p in (out / "journal").glob("*.json")}


def _cancel_first_and_last(
    cluster: SlurmCluster, cancelled: dict[str, str], done: threading.Event
) -> None:
    """With one task at a time: once the array's first task runs, scancel its last (still
    pending) and then the first (running). Records what it cancelled, in which state."""
    while not done.is_set():
        queue = cluster.queue()
        running = [t for t, state in queue.items() if state == "RUNNING"]
        pending = sorted((t for t, s in queue.items() if s == "PENDING"), key=_index)
        if running and pending:
            for task in (pending[-1], running[0]):
                cancelled[task] = queue[task]
                cluster.run("scancel", task)
            return
        time.sleep(0.2)


def _index(task: str) -> int:
    return int(task.split("_")[1])


def test_a_task_cancelled_after_its_job_committed_keeps_the_grade(
    subs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The job committed, then the task was cancelled before submitit wrote its result:
    the entry stands (not overwritten as failed, so not graded twice). No Slurm needed."""
    from types import SimpleNamespace

    from grader.batch.jobs import plan
    from grader.batch.journal import GRADED, Journal
    from grader.results import GradeReport

    monkeypatch.setattr(batch_slurm, "VANISHED_GRACE_S", 0.0)
    journal = Journal(tmp_path / "journal")
    (job,) = plan(HW, {"ada": subs / "ada"}, journal).jobs
    journal.commit("ada", GRADED, report=GradeReport("batchhw", "ada", tests=[]), run_id=job.run_id)
    handle = SimpleNamespace(done=lambda: False, job_id="7_0")
    assert batch_slurm._finished(handle, job, {}) is None  # first seen missing
    assert batch_slurm._finished(handle, job, {}) == GRADED
    entry = journal.read("ada")
    assert entry is not None and entry.status == GRADED and entry.run_id == job.run_id
    (other,) = plan(HW, {"ada": subs / "ada"}, Journal(tmp_path / "j2")).jobs
    handle = SimpleNamespace(done=lambda: False, job_id="7_1")
    assert batch_slurm._finished(handle, other, {}) is None
    assert batch_slurm._finished(handle, other, {}) == "failed"


def _drained(cluster: SlurmCluster, within_s: float = 30.0) -> bool:
    """Whether the queue empties: a task whose result the batch read may still be ending."""
    end = time.monotonic() + within_s
    while cluster.queue() and time.monotonic() < end:
        time.sleep(0.5)
    return not cluster.queue()
