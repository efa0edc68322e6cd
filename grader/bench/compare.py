"""The engine side by side with what a course would pick instead, measured in one run.

1. The non-training hidden checks of hw1 and hw3 against their references, run
   (a) through the engine (`grader grade`: one sandboxed worker per test),
   (b) by plain pytest in one process, importing the student package directly,
   (c) by pytest-forked (one fork per test, no sandbox), and
   (d) as one fresh `python -c` process per test (grader/bench/_ways.py).
   Each is a fresh command timed from start to exit; ratios are to (b). Then, to show
   where the engine's time goes: its zygote's start, and grade() once that is warm.
2. Batch grading: `--jobs 1` against `--jobs 2` over copies of the hw1 reference, and the
   fixed cost per submission (its share of the batch minus the tests' own time in (b)).
3. Training loops: each reference's train() step time against a bare forward/backward
   step of the same model on the same tensors (grader/bench/_train_rate.py).

GRADER_BENCH_QUICK=1 runs only 1. on one hw1 check, for the project's tests.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

from grader import homeworks
from grader.api import grade
from grader.batch import Journal, find_submissions, plan, run_local
from grader.bench import Figure
from grader.bench._train_rate import step_rate
from grader.bench._ways import PytestRun, Selection, run_engine, run_pytest, run_subprocesses
from grader.engine.session import heavy_imports
from grader.engine.zygote_client import shared_zygote
from grader.homeworks import Homework
from grader.timing import default_threads

QUICK_ENV = "GRADER_BENCH_QUICK"
SUITES = ("hw1", "hw3")
TRAINING = ("hw1", "hw2", "hw3", "hw4", "hw5")
BATCH_COPIES = 3
SUBPROCESS_SAMPLE = 4  # (d) runs at most this many tests per suite and scales up
QUICK_TEST = ("test_task2_models.py", "test_parameter_count")  # one fast hw1 check


def quick() -> bool:
    return os.environ.get(QUICK_ENV, "") not in ("", "0")


def selection(name: str) -> Selection:
    """The suite's test files that do not train a model (training is measured in 3.)."""
    hw = homeworks.get(name)
    files = sorted(
        p.name for p in hw.suite_dir.glob("test_*.py") if "train_student(" not in p.read_text()
    )
    if quick():
        return Selection(hw, (QUICK_TEST[0],), QUICK_TEST[1])
    return Selection(hw, tuple(files))


def _warm_engine(sel: Selection) -> tuple[float, float]:
    """(s to start the zygote, s of grade() once it runs), in this process."""
    start = time.perf_counter()
    shared_zygote(default_threads(), heavy_imports(sel.hw)).wait_ready()
    zygote_s = time.perf_counter() - start
    start = time.perf_counter()
    report = grade(sel.hw, sel.solution, keyword=sel.keyword, device="cpu")
    if report.score < report.max_score:
        raise RuntimeError(f"the warm engine scored {report.score:g}/{report.max_score:g}")
    return zygote_s, time.perf_counter() - start


def four_ways(name: str, tmp: Path) -> tuple[list[Figure], PytestRun]:
    sel = selection(name)
    b = run_pytest(sel, tmp, forked=False)
    n = len(b.nodeids)
    a, a_grade = run_engine(sel, tmp, n)
    c = run_pytest(sel, tmp, forked=True)
    d, sampled = run_subprocesses(sel, b.nodeids, SUBPROCESS_SAMPLE)
    d_how = f", {sampled} of {n} run and scaled" if sampled < n else ""

    def row(label: str, value: float, unit: str = "s", target: str | None = None) -> Figure:
        digits = 2 if unit == "x" or abs(value) < 10 else 1
        return Figure(f"{name}: {label}", round(value, digits), unit, target)

    ways = [
        (f"(a) engine, grader grade ({n} tests)", a),
        ("(b) in-process pytest", b.timing),
        ("(c) pytest-forked", c.timing),
        (f"(d) python -c per test{d_how}", d),
    ]
    base = b.timing
    figures = [row(label, t.wall_s) for label, t in ways]
    figures += [
        row("(a) engine / (b) in-process", a.wall_s / base.wall_s, "x", "<= 1.1"),
        row("(c) forked / (b) in-process", c.timing.wall_s / base.wall_s, "x"),
        row("(d) subprocesses / (b) in-process", d.wall_s / base.wall_s, "x"),
        row("(a) engine / (c) forked", a.wall_s / c.timing.wall_s, "x", "<= 1"),
        row("(a) engine / (d) subprocesses", a.wall_s / d.wall_s, "x", "<= 1"),
    ]
    figures += [row(f"{label.split(',')[0]}, CPU time", t.cpu_s) for label, t in ways]
    figures += [
        row("CPU time (a) / (b)", a.cpu_s / base.cpu_s, "x"),
        row("CPU time (c) / (b)", c.timing.cpu_s / base.cpu_s, "x"),
        row("CPU time (d) / (b)", d.cpu_s / base.cpu_s, "x"),
        row("(b) of which the tests themselves", b.tests_s),
        row("(a) of which inside grade()", a_grade),
    ]
    if not quick():
        zygote_s, warm_s = _warm_engine(sel)
        figures += [
            row("(a) zygote start alone (2nd interpreter imports torch)", zygote_s),
            row("(a) grade() with the zygote already started", warm_s),
        ]
    return figures, b


# -- batch -------------------------------------------------------------------------------------


def _batch_homework(sel: Selection, root: Path) -> Homework:
    """The homework with a suite of the selected files only (plus its helper modules)."""
    suite = root / "suite"
    suite.mkdir()
    for path in sel.hw.suite_dir.glob("*.py"):
        if not path.name.startswith("test_") or path.name in sel.files:
            shutil.copy2(path, suite / path.name)
    return Homework(sel.hw.name, sel.hw.package, sel.hw.starter_dir, suite)


def batch(tmp: Path, suite_tests_s: float) -> list[Figure]:
    """`--jobs 1` and `--jobs 2` over BATCH_COPIES copies of the hw1 reference."""
    sel = selection("hw1")
    spec = _batch_homework(sel, tmp)
    folder = tmp / "submissions"
    for k in range(BATCH_COPIES):
        shutil.copytree(sel.solution / spec.package, folder / f"student{k + 1}" / spec.package)
    submissions = find_submissions(folder)
    seconds = {}
    for jobs in (1, 2):
        journal = Journal(tmp / f"journal-{jobs}")
        threads = max(1, (os.cpu_count() or 1) // jobs)  # `grader batch`'s default
        planned = plan(spec, submissions, journal, device="cpu", threads=threads)
        start = time.perf_counter()
        run_local(planned, workers=jobs, progress=False)
        seconds[jobs] = time.perf_counter() - start
        entries = journal.entries()
        bad = [
            e.student for e in entries if e.report is None or e.report.score < e.report.max_score
        ]
        if bad or len(entries) != BATCH_COPIES:
            raise RuntimeError(f"batch --jobs {jobs}: {bad or 'some'} not graded at full marks")
    fixed = seconds[1] / BATCH_COPIES - suite_tests_s
    return [
        Figure(f"batch: {BATCH_COPIES} hw1 references, --jobs 1", round(seconds[1], 1), "s"),
        Figure(f"batch: {BATCH_COPIES} hw1 references, --jobs 2", round(seconds[2], 1), "s"),
        Figure("batch: throughput --jobs 2 / --jobs 1", round(seconds[1] / seconds[2], 2), "x"),
        Figure(
            "batch: fixed cost per submission (--jobs 1 share - tests' time in (b))",
            round(fixed, 1),
            "s",
            "<= 2 s",
        ),
        Figure("batch: fixed cost / tests' own time", round(fixed / suite_tests_s, 1), "x"),
    ]


# -- training loops --------------------------------------------------------------------------


def training() -> list[Figure]:
    from coursedata import default_root

    figures = []
    for name in TRAINING:
        hw = homeworks.get(name)
        if hw.solution_dir is None:
            continue
        rate = step_rate(hw.solution_dir, hw.package, str(default_root()), default_threads())
        figures += [
            Figure(
                f"train {name}: reference train() step, median",
                round(rate.reference_step_s * 1e3, 1),
                "ms",
            ),
            Figure(
                f"train {name}: bare forward/backward/step, median",
                round(rate.bare_step_s * 1e3, 1),
                "ms",
            ),
            Figure(
                f"train {name}: step rate reference / bare ({rate.threads} threads)",
                round(100 * rate.efficiency),
                "%",
                ">= 80 %",
            ),
        ]
    return figures


def _load() -> Figure:
    return Figure("load average (1 min), machine shared", round(os.getloadavg()[0], 2), "")


def run() -> list[Figure]:
    figures = [_load()]
    with tempfile.TemporaryDirectory(prefix="grader-bench-compare-") as name:
        tmp = Path(name)
        suite_tests_s = 0.0
        for hw in SUITES[:1] if quick() else SUITES:
            rows, inprocess_run = four_ways(hw, tmp)
            figures += rows
            if hw == "hw1":
                suite_tests_s = inprocess_run.tests_s
        if not quick():
            (tmp / "batch").mkdir()
            figures += batch(tmp / "batch", suite_tests_s)
    if not quick():
        figures += training()
    figures.append(_load())
    return figures
