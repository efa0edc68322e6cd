"""Batch grading for TAs: many submissions -> one job each -> journal -> gradebook.

    plan(...)        which submissions to grade (skipping those already in the journal)
    run_local(...)   a pool of job subprocesses on this machine
    run_slurm(...)   the same jobs as a Slurm array through submitit
    summarise(...)   gradebook CSV, per-student feedback and summary plots

Every job is a separate `python -m grader.batch.job SPEC` process that grades one
submission in its own sandbox and commits its result to the journal atomically, so a
crash or a kill loses only the jobs in flight and a rerun resumes. The executor only
reads JSON the trusted job wrote; nothing the student controls is ever unpickled.
"""

from grader.batch.executors import run_local, run_slurm
from grader.batch.gradebook import summarise
from grader.batch.jobs import Job, find_submissions, plan
from grader.batch.journal import Journal

__all__ = ["Job", "Journal", "find_submissions", "plan", "run_local", "run_slurm", "summarise"]
