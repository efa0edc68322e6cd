"""Starting one job process and turning how it ended into a journal entry.

Shared by the local pool and the function that runs on a Slurm node, so a job that dies
(killed, out of memory, a crash in the grader) is recorded the same way everywhere: as a
grader-side failure the next run retries.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import IO

from grader.batch.jobs import Job
from grader.batch.journal import FAILED, CorruptEntry, Journal
from grader.batch.owned import PARENT_ENV
from grader.batch.text import one_line


def start_job(job: Job, log: IO[bytes]) -> subprocess.Popen[bytes]:
    """The job process, in its own process group (so its tree can be stopped as one), told
    which process is its batch (so it dies with it)."""
    env = dict(os.environ, **{PARENT_ENV: str(os.getpid())})
    return subprocess.Popen(
        [sys.executable, "-m", "grader.batch.job", job.to_json()],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=log,
        env=env,
        process_group=0,
    )


def describe_exit(returncode: int, log_tail: str) -> str:
    """Why a job ended without committing, in one line."""
    if returncode < 0:
        name = signal.Signals(-returncode).name if -returncode in signal.valid_signals() else ""
        why = f"the grading process was killed by {name or f'signal {-returncode}'}"
        if returncode == -signal.SIGKILL:
            why += " (out of memory, or killed by the system)"
        return why
    last = log_tail.strip().splitlines()[-1:] or ["no output"]
    return f"the grading process failed (exit code {returncode}): {one_line(last[0], 200)}"


def settle(job: Job, *, returncode: int | None, log_tail: str = "", why: str = "") -> str:
    """The status the job committed, or commit FAILED for it (with `why`, else the exit)."""
    journal = Journal(Path(job.journal))
    try:
        entry = journal.read(job.student)
    except CorruptEntry:
        entry = None
    if entry is not None and entry.run_id == job.run_id and not why:
        return entry.status
    reason = why or describe_exit(returncode if returncode is not None else -9, log_tail)
    journal.commit(job.student, FAILED, error=reason, attempts=job.attempt, run_id=job.run_id)
    return FAILED


def tail(path: Path, limit: int = 4000) -> str:
    try:
        with open(path, "rb") as handle:
            handle.seek(max(0, path.stat().st_size - limit))
            return handle.read().decode("utf-8", "replace")
    except OSError:
        return ""
