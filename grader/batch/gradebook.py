"""From the journal to what TAs hand out: gradebook CSV, per-student feedback, plots."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from grader.batch.journal import Entry, Journal
from grader.formatters import write_atomic
from grader.formatters.terminal import render


@dataclass(frozen=True)
class Summary:
    gradebook: Path
    feedback_dir: Path
    plots: list[Path]
    graded: int
    errors: int
    mean_score: float


def summarise(journal: Journal, out_dir: Path, *, plots: bool = True) -> Summary:
    entries = journal.entries()
    out_dir.mkdir(parents=True, exist_ok=True)
    gradebook = write_atomic(out_dir / "gradebook.csv", gradebook_csv(entries))
    feedback_dir = out_dir / "feedback"
    for entry in entries:
        write_atomic(feedback_dir / f"{entry.student}.txt", feedback_text(entry) + "\n")
    graded = [e for e in entries if e.report is not None]
    scores = [e.report.score for e in graded if e.report is not None]
    figures = _plots(entries, out_dir / "plots") if plots and graded else []
    return Summary(
        gradebook=gradebook,
        feedback_dir=feedback_dir,
        plots=figures,
        graded=len(graded),
        errors=len(entries) - len(graded),
        mean_score=round(sum(scores) / len(scores), 2) if scores else 0.0,
    )


def _test_columns(entries: list[Entry]) -> list[tuple[str, str]]:
    """(number, name) of every test seen, in Gradescope's order."""
    seen: dict[str, str] = {}
    for entry in entries:
        for test in entry.report.tests if entry.report else []:
            seen.setdefault(test.number, test.name)
    return sorted(
        seen.items(), key=lambda item: [int(p) if p.isdigit() else p for p in item[0].split(".")]
    )


def gradebook_csv(entries: list[Entry]) -> str:
    columns = _test_columns(entries)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        [
            "student",
            "score",
            "max_score",
            "status",
            "seconds",
            *(f"{num} {name}" for num, name in columns),
            "error",
        ]
    )
    for entry in entries:
        report = entry.report
        if report is None:
            writer.writerow(
                [entry.student, 0, "", "error", "", *([""] * len(columns)), entry.error]
            )
            continue
        by_number = {t.number: t.score for t in report.tests}
        writer.writerow(
            [
                entry.student,
                report.score,
                report.max_score,
                "graded",
                report.execution_time,
                *(by_number.get(num, "") for num, _ in columns),
                "",
            ]
        )
    return buffer.getvalue()


def feedback_text(entry: Entry) -> str:
    """What the student reads: the terminal report, or the one-line reason it failed."""
    if entry.report is None:
        return f"{entry.student}: not graded: {entry.error}"
    return render(entry.report, verbose=True)


def _plots(entries: list[Entry], folder: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")  # no display on grading machines
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    reports = [e.report for e in entries if e.report is not None]
    max_score = max(r.max_score for r in reports) or 1.0

    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.hist([r.score for r in reports], bins=min(20, max(5, len(reports))), range=(0, max_score))
    ax.set(xlabel="score", ylabel="submissions", title=f"{reports[0].homework}: total scores")
    scores_png = folder / "scores.png"
    fig.tight_layout()
    fig.savefig(scores_png, dpi=100)
    plt.close(fig)

    columns = _test_columns(entries)
    means = []
    for number, _ in columns:
        fractions = [
            t.score / t.max_score
            for r in reports
            for t in r.tests
            if t.number == number and t.max_score > 0
        ]
        means.append(sum(fractions) / len(fractions) if fractions else 0.0)
    fig, ax = plt.subplots(figsize=(max(6, 0.35 * len(columns)), 3.5))
    ax.bar([num for num, _ in columns], means)
    ax.set(
        ylim=(0, 1), xlabel="test", ylabel="mean fraction of points", title="where points were lost"
    )
    ax.tick_params(axis="x", labelrotation=90)
    tests_png = folder / "tests.png"
    fig.tight_layout()
    fig.savefig(tests_png, dpi=100)
    plt.close(fig)
    return [scores_png, tests_png]
