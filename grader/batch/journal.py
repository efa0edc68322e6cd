"""The batch journal: one JSON file per submission, written atomically, read defensively.

An entry says how grading one submission ended:

    graded    a report exists                                   done
    rejected  the submission itself cannot be graded            done (the student's to fix)
              (a corrupt archive, no package folder)
    failed    the grader could not finish: killed, cancelled,   retried by the next run,
              out of memory, overran, node failure, missing data   at most `max_attempts`

File names are `journal_key(student)`, so any folder name (unicode, spaces) maps to a
safe, unique file. A file that does not parse, or whose student does not match its name,
is corrupt: `scan` names it and `quarantine` moves it aside so the student is regraded.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.batch.files import write_json
from grader.results import GradeReport

GRADED = "graded"
REJECTED = "rejected"
FAILED = "failed"
STATUSES = (GRADED, REJECTED, FAILED)

_PLAIN_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}$")


def journal_key(student: str) -> str:
    """A file-safe, unique key: the name itself when it is plain ASCII, else an ASCII
    rendering plus a hash of the exact name ("José García" -> "Jose_Garcia-3f2a9c01d2")."""
    if _PLAIN_KEY.match(student) and not student.endswith(".json"):
        return student
    ascii_name = unicodedata.normalize("NFKD", student).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^A-Za-z0-9._@+-]+", "_", ascii_name).strip("._-")[:60] or "student"
    digest = hashlib.sha256(student.encode("utf-8", "surrogatepass")).hexdigest()[:10]
    return f"{slug}-{digest}"


def now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


@dataclass(frozen=True)
class Entry:
    student: str
    status: str  # GRADED, REJECTED or FAILED
    report: GradeReport | None  # a FAILED entry may keep the report that showed the failure
    error: str = ""  # one line, when not graded
    attempts: int = 1  # grading attempts that ended in this status (counts FAILED retries)
    finished_at: str = ""  # ISO 8601, UTC
    run_id: str = ""  # the job that wrote it

    @property
    def key(self) -> str:
        return journal_key(self.student)


class CorruptEntry(Exception):
    """A journal file that cannot be read back; the message names the file and why."""


class Journal:
    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def path(self, student: str) -> Path:
        return self.folder / f"{journal_key(student)}.json"

    def read(self, student: str) -> Entry | None:
        """The entry for `student`, None when there is none; CorruptEntry when unreadable."""
        path = self.path(student)
        if not path.is_file():
            return None
        entry = _load(path)
        if entry.student != student:
            raise CorruptEntry(f"{path.name}: holds student {entry.student!r}, not {student!r}")
        return entry

    def commit(
        self,
        student: str,
        status: str,
        *,
        report: GradeReport | None = None,
        error: str = "",
        attempts: int = 1,
        run_id: str = "",
    ) -> Path:
        if status not in STATUSES or (status == GRADED and report is None):
            raise ValueError(f"bad journal entry: status {status!r}, report {report is not None}")
        data: dict[str, Any] = {
            "student": student,
            "status": status,
            "error": error,
            "attempts": attempts,
            "finished_at": now_iso(),
            "run_id": run_id,
            "report": report.to_dict() if report is not None else None,
        }
        return write_json(self.path(student), data)

    def scan(self) -> tuple[list[Entry], list[tuple[Path, str]]]:
        """Every readable entry, and (file, reason) for each corrupt one."""
        entries: list[Entry] = []
        corrupt: list[tuple[Path, str]] = []
        for path in sorted(self.folder.glob("*.json")) if self.folder.is_dir() else []:
            try:
                entry = _load(path)
                if journal_key(entry.student) != path.stem:
                    raise CorruptEntry(f"{path.name}: holds student {entry.student!r}")
            except CorruptEntry as exc:
                corrupt.append((path, str(exc)))
                continue
            entries.append(entry)
        return entries, corrupt

    def entries(self) -> list[Entry]:
        return self.scan()[0]

    def quarantine(self, path: Path) -> Path:
        """Move a corrupt file to `corrupt/` beside the journal, so it is regraded."""
        target = self.folder / "corrupt" / f"{path.name}.{time.strftime('%Y%m%dT%H%M%S')}"
        target.parent.mkdir(parents=True, exist_ok=True)
        path.replace(target)
        return target


def _load(path: Path) -> Entry:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        status = data["status"]
        if status == "error":  # journals written before retries existed
            status = FAILED
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r}")
        report = GradeReport.from_dict(data["report"]) if data.get("report") else None
        if status == GRADED and report is None:
            raise ValueError("status graded without a report")
        return Entry(
            student=str(data["student"]),
            status=status,
            report=report,
            error=str(data.get("error", "")),
            attempts=int(data.get("attempts", 1)),
            finished_at=str(data.get("finished_at", "")),
            run_id=str(data.get("run_id", "")),
        )
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise CorruptEntry(f"{path.name}: {reason}") from None
