"""What a batch job is, and which jobs a run needs."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path

from grader.batch.journal import Journal
from grader.errors import GraderError
from grader.homeworks import Homework

_STUDENT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]*$")


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


def find_submissions(folder: Path) -> dict[str, Path]:
    """Student name -> submission: each folder or .zip directly inside `folder`."""
    folder = Path(folder)
    if not folder.is_dir():
        raise GraderError(f"submissions folder {folder} does not exist")
    found: dict[str, Path] = {}
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith(".") or entry.is_symlink():
            continue
        if entry.is_dir():
            name = entry.name
        elif entry.suffix == ".zip" and entry.is_file():
            name = entry.stem
        else:
            continue
        if not _STUDENT_NAME.match(name):
            raise GraderError(
                f"submission {entry.name!r}: rename it using letters, digits and . _ @ + - only"
            )
        if name in found:
            raise GraderError(f"two submissions for {name!r}: {found[name].name} and {entry.name}")
        found[name] = entry
    if not found:
        raise GraderError(f"no submissions (folders or .zip files) in {folder}")
    return found


def plan(
    homework: Homework,
    submissions: dict[str, Path],
    journal: Journal,
    *,
    regrade: bool = False,
    device: str | None = None,
    threads: int = 1,
    time_limit_s: float = 1800.0,
) -> list[Job]:
    """The jobs still to run: every submission not yet in the journal (all with `regrade`)."""
    return [
        Job(
            student=student,
            submission=str(path.resolve()),
            journal=str(journal.folder.resolve()),
            homework=homework.name,
            package=homework.package,
            starter_dir=str(homework.starter_dir.resolve()),
            suite_dir=str(homework.suite_dir.resolve()),
            device=device,
            threads=threads,
            time_limit_s=time_limit_s,
        )
        for student, path in submissions.items()
        if regrade or not journal.has(student)
    ]
