"""Batch speed: the fixed cost of grading one submission (a job process that imports the
grader, starts a zygote and runs pytest) and local throughput at --jobs 1 and --jobs 2.

Uses the toy homework of tests/batch_toy (two tests that do almost nothing), so what is
measured is the per-submission overhead every homework pays on top of its own tests.
The machine's load average is reported with the figures: on a shared machine they vary.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from grader.bench import Figure
from grader.homeworks import PROJECT_ROOT, Homework

TOY = PROJECT_ROOT / "tests" / "batch_toy"
N_SUBMISSIONS = 4


def _import_s(module: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", f"import {module}"], check=True)
    return time.perf_counter() - start


def run() -> list[Figure]:
    from grader.batch.jobs import plan
    from grader.batch.journal import Journal
    from grader.batch.local import run_local

    hw = Homework(
        name="batchhw", package="batchhw", starter_dir=TOY / "starter", suite_dir=TOY / "suite"
    )
    figures = [Figure("load average (1 min) at start", round(os.getloadavg()[0], 2), "")]
    figures.append(
        Figure(
            "python start + import grader.batch.job",
            round(statistics.median(_import_s("grader.batch.job") for _ in range(3)), 2),
            "s",
        )
    )
    figures.append(
        Figure(
            "python start + import grader.api (pytest, torch)",
            round(statistics.median(_import_s("grader.api") for _ in range(3)), 2),
            "s",
        )
    )
    with tempfile.TemporaryDirectory(prefix="bench-batch-") as tmp:
        subs = {}
        for i in range(N_SUBMISSIONS):
            subs[f"s{i}"] = Path(tmp) / "subs" / f"s{i}"
            shutil.copytree(TOY / "solution", subs[f"s{i}"])
        one = Journal(Path(tmp) / "one" / "journal")
        costs = []
        for _ in range(2):
            jobs = plan(hw, {"s0": subs["s0"]}, one, regrade=True, threads=1).jobs
            start = time.perf_counter()
            run_local(jobs, log_dir=Path(tmp) / "logs", progress=False)
            costs.append(time.perf_counter() - start)
        figures.append(
            Figure(
                "fixed cost per submission (toy suite, 1 job), median of 2",
                round(statistics.median(costs), 2),
                "s",
                "<= 10",
            )
        )
        for workers in (1, 2):
            journal = Journal(Path(tmp) / f"jobs{workers}" / "journal")
            jobs = plan(hw, subs, journal, threads=1).jobs
            start = time.perf_counter()
            run_local(jobs, workers=workers, log_dir=Path(tmp) / "logs", progress=False)
            elapsed = time.perf_counter() - start
            figures.append(
                Figure(
                    f"throughput, --jobs {workers} ({N_SUBMISSIONS} toy submissions)",
                    round(60 * N_SUBMISSIONS / elapsed, 1),
                    "sub/min",
                )
            )
    figures.append(Figure("load average (1 min) at end", round(os.getloadavg()[0], 2), ""))
    return figures
