"""The summary plots: total scores, and the points lost on each test."""

from __future__ import annotations

from pathlib import Path

from grader.batch.journal import GRADED, Entry


def _pyplot():  # type: ignore[no-untyped-def]
    import matplotlib

    matplotlib.use("Agg")  # no display on grading machines
    import matplotlib.pyplot as plt

    return plt


def _reports(entries: list[Entry]):  # type: ignore[no-untyped-def]
    return [e.report for e in entries if e.status == GRADED and e.report is not None]


def plot_scores(entries: list[Entry], folder: Path) -> Path:
    plt = _pyplot()
    reports = _reports(entries)
    max_score = max(r.max_score for r in reports) or 1.0
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.hist([r.score for r in reports], bins=min(20, max(5, len(reports))), range=(0, max_score))
    ax.set(
        xlabel=f"score (of {max_score:g})",
        ylabel="submissions",
        title=f"{reports[0].homework}: total scores ({len(reports)} graded)",
    )
    return _save(fig, plt, folder / "scores.png")


def plot_points_lost(entries: list[Entry], folder: Path) -> Path:
    """Mean points lost per test over the graded submissions: a test worth 10 points that
    half the class fails shows 5, one worth 1 that everyone fails shows 1."""
    plt = _pyplot()
    reports = _reports(entries)
    lost: dict[str, list[float]] = {}
    for report in reports:
        for test in report.tests:
            lost.setdefault(test.number, []).append(test.max_score - test.score)
    numbers = sorted(lost, key=lambda n: [int(p) if p.isdigit() else p for p in n.split(".")])
    means = [sum(lost[n]) / len(lost[n]) for n in numbers]
    fig, ax = plt.subplots(figsize=(max(6, 0.35 * len(numbers)), 3.5))
    ax.bar(numbers, means, color="#c0504d")
    ax.set(
        xlabel="test",
        ylabel="mean points lost",
        title=f"{reports[0].homework}: points lost per test ({len(reports)} graded)",
    )
    ax.tick_params(axis="x", labelrotation=90)
    return _save(fig, plt, folder / "tests.png")


def _save(fig, plt, path: Path) -> Path:  # type: ignore[no-untyped-def]
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
