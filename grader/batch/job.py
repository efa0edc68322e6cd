"""One batch job: `python -m grader.batch.job '<job json>'` grades one submission and
commits the result to the journal. Trusted grader code; the student's code runs in the
sandboxed workers that `grade` starts beneath it.

It commits `graded`, `rejected` (the submission cannot be graded: the student's to fix)
or `failed` (a hidden test hit an internal error, e.g. missing data: the grader's problem,
retried). If it dies first, the executor that started it commits `failed` for it.
"""

from __future__ import annotations

import sys

from grader.batch.owned import die_with_parent

if __name__ == "__main__":
    die_with_parent()  # before the heavy imports below, so a dead batch leaves no job behind

import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

from grader.batch.jobs import Job  # noqa: E402
from grader.batch.journal import FAILED, GRADED, REJECTED, Journal  # noqa: E402
from grader.errors import GraderError  # noqa: E402
from grader.results import GradeReport  # noqa: E402


def run(job: Job) -> str:
    """Grade and commit; returns the journal status."""
    from grader.api import grade
    from grader.batch.archives import extract_tar, is_tar

    journal = Journal(Path(job.journal))
    with tempfile.TemporaryDirectory(prefix="grader-batch-") as tmp:
        try:
            submission = Path(job.submission)
            if is_tar(submission):
                submission = extract_tar(submission, Path(tmp) / "untarred")
            report = grade(job.homework_spec(), submission, device=job.device, threads=job.threads)
        except GraderError as exc:  # a bad submission: recorded, the batch goes on
            journal.commit(job.student, REJECTED, error=str(exc), run_id=job.run_id)
            return REJECTED
    internal = grader_side_failure(report)
    if internal:
        journal.commit(
            job.student,
            FAILED,
            report=report,
            error=internal,
            attempts=job.attempt,
            run_id=job.run_id,
        )
        return FAILED
    journal.commit(job.student, GRADED, report=report, run_id=job.run_id)
    return GRADED


def grader_side_failure(report: GradeReport) -> str:
    """A one-line reason when a hidden test failed inside the grader, not the student's
    code (missing data, a suite bug): such a score is not the student's, so it is retried
    and, if it persists, left blank for the TA rather than handed out."""
    broken = [t for t in report.tests if t.extra_data.get("internal_error")]
    if not broken:
        return ""
    trace = str(broken[0].extra_data["internal_error"]).strip().splitlines()
    last = trace[-1] if trace else "internal error"
    more = f" (and {len(broken) - 1} more)" if len(broken) > 1 else ""
    return f"grader error in test {broken[0].number}{more}: {last[:200]}"


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m grader.batch.job '<job json>'", file=sys.stderr)
        return 2
    run(Job.from_json(argv[0]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
