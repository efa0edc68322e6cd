"""What a batch job is, and which jobs a run needs."""

from __future__ import annotations

import difflib
import json
import uuid
from collections.abc import Collection
from dataclasses import asdict, dataclass, field
from pathlib import Path

from grader.batch.journal import FAILED, CorruptEntry, Journal, journal_key
from grader.errors import GraderError
from grader.homeworks import Homework

DEFAULT_MAX_ATTEMPTS = 3


@dataclass(frozen=True)
class Job:
    """Grade one submission; plain data only, so it travels as JSON to any executor."""

    student: str
    submission: str
    journal: str  # the journal folder
    homework: str
    package: str
    starter_dir: str
    suite_dir: str
    device: str | None = None
    threads: int = 1
    time_limit_s: float = 1800.0  # the whole grading of one submission
    attempt: int = 1  # 2 = the first retry after a grader-side failure
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex)

    @property
    def key(self) -> str:
        return journal_key(self.student)

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> Job:
        return cls(**json.loads(text))

    def homework_spec(self) -> Homework:
        return Homework(
            name=self.homework,
            package=self.package,
            starter_dir=Path(self.starter_dir),
            suite_dir=Path(self.suite_dir),
        )

    def paths(self) -> list[Path]:
        """Every path the job reads or writes: all must exist on the node that runs it."""
        return [Path(p) for p in (self.submission, self.journal, self.starter_dir, self.suite_dir)]


@dataclass
class Plan:
    jobs: list[Job]
    graded: list[str] = field(default_factory=list)  # done: graded or rejected
    retrying: list[str] = field(default_factory=list)  # grader-side failures, tried again
    gave_up: list[str] = field(default_factory=list)  # failed max_attempts times
    corrupt: list[str] = field(default_factory=list)  # "file: why -> moved to ..."


def plan(
    homework: Homework,
    submissions: dict[str, Path],
    journal: Journal,
    *,
    regrade: bool | Collection[str] = False,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    device: str | None = None,
    threads: int = 1,
    time_limit_s: float = 1800.0,
) -> Plan:
    """The jobs this run needs: submissions not in the journal, grader-side failures with
    attempts left, corrupt entries (moved aside first), and those chosen by `regrade`
    (True = everyone, or a collection of student names)."""
    chosen = _regrade_set(regrade, submissions)
    result = Plan(jobs=[])
    journal.folder.mkdir(parents=True, exist_ok=True)  # jobs on other nodes check it exists
    for path, why in journal.scan()[1]:
        moved = journal.quarantine(path)
        result.corrupt.append(f"{why} (moved to {moved})")
    for student, submission in submissions.items():
        try:
            entry = journal.read(student)
        except CorruptEntry as exc:  # e.g. removed between scan and read by hand
            result.corrupt.append(str(exc))
            entry = None
        attempt = 1
        if entry is not None and student not in chosen:
            if entry.status != FAILED:
                result.graded.append(student)
                continue
            if entry.attempts >= max_attempts:
                result.gave_up.append(student)
                continue
            result.retrying.append(student)
            attempt = entry.attempts + 1
        result.jobs.append(
            Job(
                student=student,
                submission=str(submission.resolve()),
                journal=str(journal.folder.resolve()),
                homework=homework.name,
                package=homework.package,
                starter_dir=str(homework.starter_dir.resolve()),
                suite_dir=str(homework.suite_dir.resolve()),
                device=device,
                threads=threads,
                time_limit_s=time_limit_s,
                attempt=attempt,
            )
        )
    return result


def _regrade_set(regrade: bool | Collection[str], submissions: dict[str, Path]) -> set[str]:
    if regrade is True:
        return set(submissions)
    if not regrade:
        return set()
    names = set(regrade)  # type: ignore[arg-type]
    unknown = sorted(names - set(submissions))
    if unknown:
        folded = {name.casefold(): name for name in submissions}
        close = [folded[c] for c in difflib.get_close_matches(unknown[0].casefold(), folded, n=3)]
        hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
        raise GraderError(f"--regrade: no submission named {unknown[0]!r}{hint}")
    return names
