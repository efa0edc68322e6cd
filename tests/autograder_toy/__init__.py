"""A tiny homework (`toyhw`) for testing the autograder, release and bundle flows quickly.

`make_toy(dest)` lays it out as a real homework: the hidden suite is stored as
`suite/hidden_toy.py` so the project's own pytest run never collects it, and is copied to
`test_toy.py` where the engine expects a hidden suite.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from grader.homeworks import Homework

HERE = Path(__file__).resolve().parent
TOTAL_POINTS = 3.0  # the suite's weights: 1 + 2 (+ a 0-point leaderboard test)


def make_toy(dest: Path) -> Homework:
    """Copy the toy homework into `dest` and describe it."""
    dest.mkdir(parents=True, exist_ok=True)
    for part in ("starter", "solution"):
        shutil.copytree(HERE / part, dest / part, ignore=shutil.ignore_patterns("__pycache__"))
    (dest / "suite").mkdir()
    shutil.copyfile(HERE / "suite" / "hidden_toy.py", dest / "suite" / "test_toy.py")
    return Homework(
        name="toyhw",
        package="toyhw",
        starter_dir=dest / "starter",
        suite_dir=dest / "suite",
        solution_dir=dest / "solution",
    )
