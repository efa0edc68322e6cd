"""The HTML report as a TA sees it: rendered by real headless Chromium to a PNG."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from grader.batch.gradebook import summarise
from grader.batch.html_report import HEADER_COLOR
from grader.batch.journal import GRADED, Journal
from grader.results import GradeReport, TestResult

CHROMIUM = next(
    (shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)),
    None,
)
WIDTH, HEIGHT = 1300, 1100


def _report(score_a: float, score_b: float) -> GradeReport:
    tests = [
        TestResult("1.1", "forward shape", score_a, 2.0, "passed" if score_a == 2 else "failed"),
        TestResult(
            "1.2", "training accuracy", score_b, 8.0, "passed" if score_b == 8 else "failed"
        ),
    ]
    return GradeReport("hw1", "sub", tests=tests, execution_time=12.5)


@pytest.mark.skipif(CHROMIUM is None, reason="no chromium (Debian: apt-get install chromium)")
def test_report_renders_in_headless_chromium(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal")
    scores = {"ada": (2, 8), "bob": (0, 0), "José García": (2, 4), "dee": (2, 6), "eve": (0, 8)}
    for name, (a, b) in scores.items():
        journal.commit(name, GRADED, report=_report(a, b))
    journal.commit("<i>cy</i>", "rejected", error="cy.zip is not a readable .zip")
    summary = summarise(
        journal,
        tmp_path,
        students=[*scores, "<i>cy</i>", "fay"],
        skipped=[("x\\n", "the name holds control characters")],
        provenance={"homework": "hw1", "commit": "abc", "device": "cpu"},
    )
    page = summary.report.read_text()
    assert page.count('<tr class="graded">') == 5 and "not graded yet" in page
    assert 'href="feedback/ada.txt"' in page and "José García" in page

    shot = tmp_path / "shot.png"
    run = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            f"--window-size={WIDTH},{HEIGHT}",
            f"--screenshot={shot}",
            summary.report.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert shot.is_file(), run.stderr[-2000:]
    import matplotlib.image

    pixels = (matplotlib.image.imread(shot)[..., :3] * 255).round().astype(int)
    assert pixels.shape == (HEIGHT, WIDTH, 3)
    band = tuple(int(HEADER_COLOR[i : i + 2], 16) for i in (1, 3, 5))
    # The header band spans the top 56 px, full width; the page below it is white.
    for y, x in ((5, 5), (28, WIDTH // 2), (50, WIDTH - 10)):
        assert np.abs(pixels[y, x] - band).max() <= 3, (y, x, pixels[y, x])
    assert (pixels[70, WIDTH - 10] == 255).all()
    # The two plots (600x350 each, side by side) were loaded: mostly white with drawing.
    plot_region = pixels[120:440, 30:1200]
    dark = (plot_region.sum(axis=2) < 600).mean()
    assert 0.01 < dark < 0.5, f"plots look blank or missing ({dark:.3f} dark)"
    # The points-lost bars are the plot's red (#c0504d): the second plot drew them.
    red = np.abs(pixels[120:470, 640:1260] - (0xC0, 0x50, 0x4D)).max(axis=2) <= 8
    assert red.sum() > 500
