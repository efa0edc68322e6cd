"""Running jobs on this machine: a pool of job processes the batch owns.

The loop runs in the main thread and polls: it starts jobs up to `workers`, stops a job
that overruns its limit, and stops everything within a few seconds when asked (Ctrl-C,
SIGTERM, the overall deadline). Jobs stopped that way are not journaled, so the rerun
grades them; nothing finished is lost and nothing is graded twice.
"""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from grader.batch.jobs import Job
from grader.batch.owned import kill_tree
from grader.batch.process import settle, start_job, tail
from grader.batch.stop import Stop

POLL_S = 0.1
GRACE_S = 3.0  # a stopped job's tree gets SIGTERM, then SIGKILL after this long


@dataclass
class Outcome:
    statuses: dict[str, str] = field(default_factory=dict)  # student -> journal status
    stopped: str = ""  # why the run ended early ("" = it did not)
    unfinished: list[str] = field(default_factory=list)  # left for the next run


@dataclass
class _Running:
    job: Job
    proc: subprocess.Popen[bytes]
    log: Path
    started: float


def run_local(
    jobs: Sequence[Job],
    *,
    workers: int = 1,
    log_dir: Path,
    stop: Stop | None = None,
    progress: bool = True,
) -> Outcome:
    """Run the jobs here, `workers` at a time, until done or `stop` is set."""
    stop = stop or Stop()
    queue = list(jobs)
    running: list[_Running] = []
    outcome = Outcome()
    log_dir.mkdir(parents=True, exist_ok=True)
    with tqdm(total=len(jobs), desc="grading", unit="sub", disable=not progress) as bar:
        while queue or running:
            if stop.reason:
                break
            while queue and len(running) < max(1, workers):
                job = queue.pop(0)
                log = log_dir / f"{job.key}.log"
                with open(log, "wb") as handle:
                    running.append(_Running(job, start_job(job, handle), log, time.monotonic()))
            for item in list(running):
                status = _check(item)
                if status is not None:
                    running.remove(item)
                    outcome.statuses[item.job.student] = status
                    bar.update(1)
            bar.set_postfix_str(f"{len(running)} running", refresh=False)
            time.sleep(POLL_S)
    if running or queue:
        outcome.stopped = stop.reason or "stopped"
        _stop_all(running)
        outcome.unfinished = [r.job.student for r in running] + [j.student for j in queue]
    return outcome


def _check(item: _Running) -> str | None:
    """The job's status once it has ended (or been stopped for overrunning), else None."""
    code = item.proc.poll()
    if code is None:
        if time.monotonic() - item.started <= item.job.time_limit_s:
            return None
        _stop_all([item])
        why = (
            f"grading took longer than {item.job.time_limit_s:g} s and was stopped "
            "(a busy machine, or a submission too slow for the per-test limits)"
        )
        status = settle(item.job, returncode=None, why=why)
    else:
        status = settle(item.job, returncode=code, log_tail=tail(item.log))
    item.log.unlink(missing_ok=True)
    return status


def _stop_all(items: list[_Running]) -> None:
    for item in items:
        kill_tree(item.proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + GRACE_S
    for item in items:
        try:
            item.proc.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            pass
        kill_tree(item.proc.pid, signal.SIGKILL)
        item.proc.wait()
