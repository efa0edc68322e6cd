"""Batch grading for TAs: many submissions -> one job each -> journal -> gradebook.

    find_submissions(...)  which entries are submissions, and which are skipped and why
    preflight(...)         data, suite and calibration checked once, before any job
    plan(...)              which submissions to grade (new, retries, chosen regrades)
    run_local(...)         a pool of owned job processes on this machine
    run_slurm(...)         the same jobs as a Slurm array through submitit
    summarise(...)         gradebook CSV, import CSVs, feedback, plots and report.html

Every job is a separate `python -m grader.batch.job SPEC` process that grades one
submission in its own sandbox and commits its result to the journal atomically, so a
crash or a kill loses only the jobs in flight and a rerun resumes. The executor only
reads JSON the trusted job wrote; nothing the student controls is ever unpickled.

Names are imported lazily: a job process imports `grader.batch.job` and should not pay
for tqdm, matplotlib or submitit.
"""

from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "Job": "grader.batch.jobs",
    "Plan": "grader.batch.jobs",
    "plan": "grader.batch.jobs",
    "Journal": "grader.batch.journal",
    "find_submissions": "grader.batch.submissions",
    "preflight": "grader.batch.preflight",
    "run_local": "grader.batch.local",
    "run_slurm": "grader.batch.slurm",
    "summarise": "grader.batch.gradebook",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'grader.batch' has no attribute {name!r}")
    return getattr(importlib.import_module(_WHERE[name]), name)
