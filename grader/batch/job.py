"""One batch job: `python -m grader.batch.job '<job json>'` grades one submission and
commits the result to the journal. Trusted grader code; the student's code runs in the
sandboxed workers that `grade` starts beneath it."""

from __future__ import annotations

import sys
from pathlib import Path

from grader.batch.jobs import Job
from grader.batch.journal import Journal
from grader.errors import GraderError


def run(job: Job) -> str:
    """Grade and commit; returns the journal status ("graded" or "error")."""
    from grader.api import grade

    journal = Journal(Path(job.journal))
    try:
        report = grade(job.homework_spec(), job.submission, device=job.device, threads=job.threads)
    except GraderError as exc:  # a bad submission: recorded, the batch goes on
        journal.commit(job.student, report=None, error=str(exc))
        return "error"
    journal.commit(job.student, report=report)
    return "graded"


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m grader.batch.job '<job json>'", file=sys.stderr)
        return 2
    run(Job.from_json(argv[0]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
