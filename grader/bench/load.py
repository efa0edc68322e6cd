"""A grade depends on the work, not on the machine's load or a small container's memory.

For each homework's reference: graded with no extra load, beside 1 and beside 3 CPU hogs
(busy processes, as on a shared Gradescope host or a TA's `--jobs 2` batch), printing the
score and the training's CPU time against its budget; every score must be full marks.
Every grading runs in its own memory cgroup (where one can be created) limited to
MEMORY_TARGET_MB, as the smallest container we support: the score shows that it fits,
and the cgroup gives the peak of the whole run (parent, zygote and workers, page cache
included, which the kernel reclaims near the limit) and any out-of-memory kill.

    python -m grader.bench --only load
    GRADER_BENCH_HOMEWORKS=hw1,hw3 GRADER_BENCH_HOGS=0,3 python -m grader.bench --only load
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from grader import homeworks
from grader.bench import Figure
from grader.bench.cgroup import MemoryCgroup
from grader.bench.hogs import cpu_hogs

MEMORY_TARGET_MB = 1536  # every reference must grade at full marks in a 1.5 GiB container


def selected_homeworks() -> list[str]:
    chosen = os.environ.get("GRADER_BENCH_HOMEWORKS", "").strip()
    return [h.strip() for h in chosen.split(",") if h.strip()] or homeworks.available()


def hog_counts() -> list[int]:
    chosen = os.environ.get("GRADER_BENCH_HOGS", "").strip()
    return [int(n) for n in chosen.split(",") if n.strip()] if chosen else [0, 1, 3]


def grade_in_subprocess(hw: str, *, cgroup: MemoryCgroup | None = None) -> dict[str, Any]:
    """`grader grade hw solutions/hw --gradescope FILE` in a fresh interpreter; its JSON."""
    hw_spec = homeworks.get(hw)
    with tempfile.TemporaryDirectory(prefix="grader-bench-load-") as tmp:
        out = Path(tmp) / "results.json"
        command = [sys.executable, "-m", "grader", "grade", hw, str(hw_spec.solution_dir)]
        done = subprocess.run(
            [*command, "--gradescope", str(out)],
            capture_output=True,
            text=True,
            preexec_fn=cgroup.enter if cgroup is not None else None,
        )
        if not out.is_file():
            last = (done.stderr.strip().splitlines() or ["no output"])[-1]
            raise RuntimeError(f"grading {hw} failed (exit {done.returncode}): {last}")
        return dict(json.loads(out.read_text()))


def training_stats(results: dict[str, Any]) -> dict[str, Any] | None:
    for test in results.get("tests", []):
        stats = test.get("extra_data", {}).get("training")
        if isinstance(stats, dict) and stats.get("time_used_s") is not None:
            return stats
    return None


def run() -> list[Figure]:
    figures: list[Figure] = []
    can_measure_memory = MemoryCgroup.unavailable() is None
    for hw in selected_homeworks():
        for hogs in hog_counts():
            label = f"{hw} reference, {hogs} CPU hog{'s' if hogs != 1 else ''} beside it"
            group = MemoryCgroup(MEMORY_TARGET_MB << 20) if can_measure_memory else None
            with cpu_hogs(hogs), group if group is not None else contextlib.nullcontext():
                results = grade_in_subprocess(hw, cgroup=group)
            max_score = sum(float(t["max_score"]) for t in results["tests"])
            figures.append(
                Figure(f"{label}: score", float(results["score"]), f"/ {max_score:g}", ">= 100")
            )
            stats = training_stats(results)
            if stats is not None:
                used, budget = float(stats["time_used_s"]), float(stats["budget_s"])
                unit = stats.get("unit", "s")
                figures.append(
                    Figure(
                        f"{label}: training {used:.1f} of {budget:.0f} {unit}",
                        round(used / budget, 3),
                        "of the budget",
                        "<= 1",
                    )
                )
            if group is not None and group.peak_bytes is not None:
                where = f"in a {MEMORY_TARGET_MB} MB cgroup"
                figures += [
                    Figure(f"{label}: peak memory {where}", group.peak_bytes >> 20, "MB", None),
                    Figure(f"{label}: out-of-memory kills {where}", group.oom_kills, "", 0),
                ]
    return figures
