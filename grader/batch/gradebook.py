"""From the journal to what TAs hand out: gradebook CSV, import CSVs, feedback, plots and
a one-page HTML report. Every student-controlled string goes through `grader.batch.text`.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.batch.files import write_json, write_text
from grader.batch.journal import GRADED, Entry, Journal, journal_key
from grader.batch.text import clean, csv_cell, one_line

NOT_YET = "not graded yet"


@dataclass(frozen=True)
class Row:
    """One student in the gradebook: a journal entry, or a submission not graded yet."""

    student: str
    entry: Entry | None

    @property
    def status(self) -> str:
        return self.entry.status if self.entry else NOT_YET

    @property
    def score(self) -> float | None:
        graded = self.entry is not None and self.entry.status == GRADED and self.entry.report
        return self.entry.report.score if graded else None  # type: ignore[union-attr]

    @property
    def reason(self) -> str:
        return one_line(self.entry.error) if self.entry and self.entry.status != GRADED else ""

    @property
    def feedback_name(self) -> str:
        return f"{journal_key(self.student)}.txt"


@dataclass(frozen=True)
class Summary:
    gradebook: Path
    exports: list[Path]
    feedback_dir: Path
    plots: list[Path]
    report: Path | None
    counts: dict[str, int]
    mean_score: float | None
    corrupt: list[str] = field(default_factory=list)


def summarise(
    journal: Journal,
    out_dir: Path,
    *,
    students: list[str] | None = None,
    skipped: list[tuple[str, str]] | None = None,
    provenance: dict[str, Any] | None = None,
    plots: bool = True,
) -> Summary:
    """Write everything from the journal. `students` adds submissions not graded yet;
    corrupt journal files are named in `Summary.corrupt` (the next run regrades them)."""
    entries, corrupt = journal.scan()
    by_student = {e.student: e for e in entries}
    names = list(dict.fromkeys([*(students or []), *by_student]))
    rows = sorted((Row(s, by_student.get(s)) for s in names), key=lambda r: r.student.casefold())
    columns = test_columns(entries)
    gradebook = write_text(out_dir / "gradebook.csv", gradebook_csv(rows, columns))
    hw = next((e.report.homework for e in entries if e.report), out_dir.name)
    exports = [
        write_text(out_dir / "import-canvas.csv", canvas_csv(rows, hw)),
        write_text(out_dir / "import-gradescope.csv", gradescope_csv(rows)),
    ]
    feedback_dir = out_dir / "feedback"
    for row in rows:
        if row.entry is not None:
            write_text(feedback_dir / row.feedback_name, feedback_text(row.entry) + "\n")
    graded = [r for r in rows if r.score is not None]
    figures: list[Path] = []
    if plots and graded:
        from grader.batch.plots import plot_points_lost, plot_scores

        figures = [
            plot_scores(entries, out_dir / "plots"),
            plot_points_lost(entries, out_dir / "plots"),
        ]
    if provenance is not None:
        write_json(out_dir / "provenance.json", provenance)
    counts = {status: sum(r.status == status for r in rows) for status in _order(rows)}
    counts["skipped"] = len(skipped or [])
    scores = [r.score for r in graded if r.score is not None]
    summary = Summary(
        gradebook=gradebook,
        exports=exports,
        feedback_dir=feedback_dir,
        plots=figures,
        report=None,
        counts=counts,
        mean_score=round(sum(scores) / len(scores), 2) if scores else None,
        corrupt=[f"{p.name}: {why}" for p, why in corrupt],
    )
    from grader.batch.html_report import render_report

    report = write_text(
        out_dir / "report.html",
        render_report(rows, columns, summary, skipped or [], provenance or {}, out_dir),
    )
    return Summary(**{**summary.__dict__, "report": report})


def _order(rows: list[Row]) -> list[str]:
    return list(dict.fromkeys(["graded", "rejected", "failed", NOT_YET, *(r.status for r in rows)]))


def test_columns(entries: list[Entry]) -> list[tuple[str, str, float]]:
    """(number, name, max points) of every test seen, in Gradescope's order."""
    seen: dict[str, tuple[str, float]] = {}
    for entry in entries:
        for test in entry.report.tests if entry.report and entry.status == GRADED else []:
            seen.setdefault(test.number, (test.name, test.max_score))
    ordered = sorted(seen, key=lambda n: [int(p) if p.isdigit() else p for p in n.split(".")])
    return [(n, *seen[n]) for n in ordered]


def _points(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def gradebook_csv(rows: list[Row], columns: list[tuple[str, str, float]]) -> str:
    """One row per student; scores blank unless graded; test headers carry their maxima."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    max_total = sum(m for _, _, m in columns)
    writer.writerow(
        [
            "student",
            "status",
            f"score (max {max_total:g})" if columns else "score",
            "max_score",
            "graded_at",
            "seconds",
            "attempts",
            *(csv_cell(f"{num} {name} (max {m:g})") for num, name, m in columns),
            "reason",
        ]
    )
    for row in rows:
        entry, report = row.entry, row.entry.report if row.entry else None
        graded = row.score is not None and report is not None
        by_number = {t.number: t.score for t in report.tests} if graded and report else {}
        writer.writerow(
            [
                csv_cell(row.student),
                row.status,
                _points(row.score),
                _points(report.max_score) if graded and report else "",
                entry.finished_at if entry else "",
                f"{report.execution_time:g}" if graded and report else "",
                entry.attempts if entry else "",
                *(_points(by_number.get(num)) if graded else "" for num, _, _ in columns),
                csv_cell(row.reason),
            ]
        )
    return buffer.getvalue()


def canvas_csv(rows: list[Row], homework: str) -> str:
    """Canvas gradebook import: the folder name is the SIS Login ID; blank = no grade."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section", homework])
    for row in rows:
        name = csv_cell(row.student)
        writer.writerow([name, "", "", name, "", _points(row.score)])
    return buffer.getvalue()


def gradescope_csv(rows: list[Row]) -> str:
    """Gradescope score upload (roster matched by SID or Email): the folder name is the SID,
    and the Email too when it looks like one."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["Name", "SID", "Email", "Total Score"])
    for row in rows:
        name = csv_cell(row.student)
        writer.writerow([name, name, name if "@" in row.student else "", _points(row.score)])
    return buffer.getvalue()


def feedback_text(entry: Entry) -> str:
    """What the student reads: the terminal report, or the one-line reason it failed."""
    from grader.formatters.terminal import render

    name = clean(entry.student)
    if entry.status != GRADED or entry.report is None:
        return f"{name}: not graded ({entry.status}): {one_line(entry.error, 1000)}"
    return clean(render(entry.report, verbose=True), keep_newlines=True)
