"""Grading time of each homework's reference solution, against the time a TA can afford.

Every hidden suite must grade the reference on the course's 2-core CPU machine within
its target, training included; a suite that creeps past it makes batch grading and the
Gradescope run limit (10 minutes by default) fragile.
"""

from __future__ import annotations

import time

from grader import homeworks
from grader.api import grade
from grader.bench import Figure

# seconds to grade the reference on the 2-core reference machine
TARGET_S = {"hw1": 120.0, "hw2": 150.0, "hw3": 180.0, "hw4": 180.0, "hw5": 120.0}


def run() -> list[Figure]:
    """One figure per homework that has a reference solution and a hidden suite."""
    figures = []
    for name in homeworks.available():
        hw = homeworks.get(name)
        if hw.solution_dir is None or not hw.has_hidden_suite:
            continue
        start = time.monotonic()
        report = grade(hw, hw.solution_dir)
        seconds = time.monotonic() - start
        label = f"grade {hw.name} reference"
        if report.score < report.max_score:
            # a fast-but-broken suite is not a timing; say so in the figure's name
            label += f" (it scored {report.score:g}/{report.max_score:g})"
        figures.append(Figure(label, round(seconds, 1), "s", TARGET_S.get(hw.name)))
    return figures
