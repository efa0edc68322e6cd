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
from grader.errors import GraderError


def run() -> list[Figure]:
    """One figure per homework; its target is `bench_target_s` of its homework.toml.

    An incomplete homework (no reference, suite or homework.toml) stops the bench: a
    silently missing figure would read as a homework that grades in no time.
    """
    figures = []
    for name in homeworks.available():
        hw = homeworks.get(name)
        problems = hw.problems()
        if problems or hw.solution_dir is None:
            raise GraderError("; ".join(problems))
        start = time.monotonic()
        report = grade(hw, hw.solution_dir)
        seconds = time.monotonic() - start
        label = f"grade {hw.name} reference"
        if report.score < report.max_score:
            # a fast-but-broken suite is not a timing; say so in the figure's name
            label += f" (it scored {report.score:g}/{report.max_score:g})"
        figures.append(Figure(label, round(seconds, 1), "s", hw.spec.bench_target_s))
    return figures
