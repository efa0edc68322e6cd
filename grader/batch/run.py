"""`run_batch`: the whole batch, from a submissions folder to the reports, as one function.

The CLI (`grader batch`) is a thin wrapper around it; tests call it with a toy homework.
Order matters: lock the output folder, check everything once, plan, run with Ctrl-C and
SIGTERM turned into a clean stop, and write the reports of what finished in any case.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

from grader.batch.gradebook import Summary, summarise
from grader.batch.jobs import DEFAULT_MAX_ATTEMPTS, Job, plan
from grader.batch.journal import Journal
from grader.batch.local import Outcome, run_local
from grader.batch.lock import batch_lock
from grader.batch.preflight import preflight
from grader.batch.slurm import SlurmOptions
from grader.batch.stop import Stop
from grader.batch.submissions import find_submissions
from grader.homeworks import Homework


@dataclass(frozen=True)
class BatchResult:
    summary: Summary
    outcome: Outcome


def run_batch(
    hw: Homework,
    submissions: Path,
    *,
    out: Path,
    jobs: int = 1,
    threads: int = 1,
    device: str | None = None,
    regrade: bool | Collection[str] = False,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    job_timeout_s: float = 1800.0,
    deadline_s: float | None = None,
    slurm: SlurmOptions | None = None,
    plots: bool = True,
    progress: bool = True,
    echo: Callable[[str], None] = print,
) -> BatchResult:
    found = find_submissions(submissions)
    for name, why in found.skipped:
        echo(f"skipped {name}: {why}")
    with batch_lock(out):
        provenance = preflight(hw, device=device, threads=threads, calibrate=slurm is None)
        journal = Journal(out / "journal")
        todo = plan(
            hw,
            found.submissions,
            journal,
            regrade=regrade,
            max_attempts=max_attempts,
            device=device,
            threads=threads,
            time_limit_s=job_timeout_s,
        )
        for line in todo.corrupt:
            echo(f"corrupt journal entry, regrading: {line}")
        gave_up = (
            f"; {len(todo.gave_up)} failed {max_attempts} times and are left for you "
            "(--regrade NAME tries again)"
            if todo.gave_up
            else ""
        )
        echo(
            f"{len(found.submissions)} submissions: {len(todo.graded)} already done, "
            f"{len(todo.jobs)} to grade ({len(todo.retrying)} retries of grader-side failures)"
            + gave_up
        )
        stop = Stop(deadline_s)
        with stop.on_signals():
            outcome = _execute(todo.jobs, out, jobs, slurm, stop, progress, echo)
        summary = summarise(
            journal,
            out,
            students=list(found.submissions),
            skipped=found.skipped,
            provenance=provenance,
            plots=plots,
        )
    return BatchResult(summary, outcome)


def _execute(
    jobs: Sequence[Job],
    out: Path,
    workers: int,
    slurm: SlurmOptions | None,
    stop: Stop,
    progress: bool,
    echo: Callable[[str], None],
) -> Outcome:
    if not jobs:
        return Outcome()
    if slurm is not None:
        from grader.batch.slurm import run_slurm

        return run_slurm(jobs, out=out, options=slurm, stop=stop, echo=echo, progress=progress)
    return run_local(jobs, workers=workers, log_dir=out / "logs", stop=stop, progress=progress)
