"""The batch journal: one JSON file per graded submission, written atomically."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.formatters import write_json_atomic
from grader.results import GradeReport


@dataclass(frozen=True)
class Entry:
    student: str
    status: str  # "graded" or "error"
    report: GradeReport | None
    error: str = ""  # one line, when status == "error"


class Journal:
    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def path(self, student: str) -> Path:
        return self.folder / f"{student}.json"

    def has(self, student: str) -> bool:
        return self.path(student).is_file()

    def status(self, student: str) -> str | None:
        """"graded", "error", or None when the submission is not in the journal yet."""
        if not self.has(student):
            return None
        return str(json.loads(self.path(student).read_text(encoding="utf-8"))["status"])

    def commit(self, student: str, *, report: GradeReport | None, error: str = "") -> Path:
        data: dict[str, Any] = {
            "student": student,
            "status": "graded" if report is not None else "error",
            "error": error,
            "report": report.to_dict() if report is not None else None,
        }
        return write_json_atomic(self.path(student), data)

    def entries(self) -> list[Entry]:
        out = []
        for path in sorted(self.folder.glob("*.json")):
            data = json.loads(path.read_text(encoding="utf-8"))
            report = GradeReport.from_dict(data["report"]) if data.get("report") else None
            out.append(Entry(data["student"], data["status"], report, data.get("error", "")))
        return out
