"""Where batch jobs run: a local pool of subprocesses, or a Slurm array via submitit.

Both run the same job process (`grader.batch.job`), so a job behaves the same on a
laptop and on a cluster node, and both leave their results in the journal only.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Any

from tqdm import tqdm

from grader.batch.jobs import Job
from grader.batch.journal import Journal

Progress = Callable[[str], None]


def run_job_process(job_json: str) -> str:
    """Run one job in its own process with a wall-clock limit; never raises.

    If the job process dies or overruns before committing, the journal gets an error entry
    saying so, so every planned submission ends up in the journal.
    """
    job = Job.from_json(job_json)
    journal = Journal(Path(job.journal))
    cmd = [sys.executable, "-m", "grader.batch.job", job_json]
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
        text=True,
        errors="replace",
    )
    try:
        _, stderr = proc.communicate(timeout=job.time_limit_s)
    except subprocess.TimeoutExpired:
        _kill_group(proc.pid)
        proc.wait()
        journal.commit(
            job.student,
            report=None,
            error=f"grading took longer than {job.time_limit_s:g} s and was stopped",
        )
        return "error"
    status = journal.status(job.student)
    if proc.returncode != 0 or status is None:
        last = (stderr or "").strip().splitlines()[-1:] or ["no output"]
        journal.commit(
            job.student,
            report=None,
            error=f"grading process failed (exit code {proc.returncode}): {last[0]}",
        )
        return "error"
    return status


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def run_local(jobs: Sequence[Job], *, workers: int = 1, progress: bool = True) -> dict[str, str]:
    """Run the jobs on this machine, `workers` at a time; student -> status."""
    statuses: dict[str, str] = {}
    with (
        ThreadPoolExecutor(max_workers=max(1, workers)) as pool,
        tqdm(total=len(jobs), desc="grading", unit="sub", disable=not progress) as bar,
    ):
        futures = {pool.submit(run_job_process, job.to_json()): job for job in jobs}
        for future in as_completed(futures):
            statuses[futures[future].student] = future.result()
            bar.update(1)
    return statuses


def run_slurm(
    jobs: Sequence[Job],
    *,
    log_folder: Path,
    slurm: dict[str, Any] | None = None,
    cluster: str | None = None,
    progress: bool = True,
    poll_s: float = 5.0,
) -> dict[str, str]:
    """Submit the jobs as one Slurm array through submitit and wait for them.

    `slurm` holds submitit parameters, e.g. {"slurm_partition": "gpu", "timeout_min": 30,
    "cpus_per_task": 2, "gpus_per_node": 1}. `cluster="local"` runs the same path without
    Slurm (used by the tests). The function that runs on the node is `run_job_process`.
    """
    import submitit

    executor = submitit.AutoExecutor(folder=str(log_folder), cluster=cluster)
    executor.update_parameters(**(slurm or {}))
    handles = executor.map_array(run_job_process, [job.to_json() for job in jobs])
    pending = dict(zip(handles, jobs, strict=True))
    statuses: dict[str, str] = {}
    with tqdm(total=len(jobs), desc="grading (slurm)", unit="sub", disable=not progress) as bar:
        while pending:
            for handle in [h for h in pending if h.done()]:
                job = pending.pop(handle)
                statuses[job.student] = _slurm_status(handle, job)
                bar.update(1)
            if pending:
                time.sleep(poll_s)
    return statuses


def _slurm_status(handle: Any, job: Job) -> str:
    journal = Journal(Path(job.journal))
    try:
        return str(handle.result())
    except Exception as exc:  # noqa: BLE001 - the node failed: record it, go on
        if not journal.has(job.student):
            journal.commit(
                job.student, report=None, error=f"cluster job failed: {exc}".splitlines()[0]
            )
        return "error"
