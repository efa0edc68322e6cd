"""The four ways of running the same hidden checks, each a fresh command timed from start
to exit: (a) the engine (`grader grade`), (b) plain pytest in one process with the
in-process stand-in (grader/bench/_inprocess.py), (c) the same under pytest-forked, and
(d) one fresh `python -c` per test.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from grader.bench import _inprocess as inprocess
from grader.homeworks import PROJECT_ROOT, Homework

RUN_LIMIT_S = 600.0
_PYTHON_C = "import sys, pytest; sys.exit(pytest.main(sys.argv[1:]))"


@dataclass(frozen=True)
class Selection:
    """The hidden checks the bench runs: whole test files of one suite."""

    hw: Homework
    files: tuple[str, ...]
    test: str | None = None  # one test function of those files, or all of them

    @property
    def keyword(self) -> str:
        """A pytest -k expression selecting exactly these tests (it matches module names)."""
        files = " or ".join(Path(f).stem for f in self.files)
        return f"({files}) and {self.test}" if self.test else files

    @property
    def solution(self) -> Path:
        if self.hw.solution_dir is None:
            raise RuntimeError(f"{self.hw.name} has no reference solution")
        return self.hw.solution_dir


# -- running one command ---------------------------------------------------------------------


@dataclass(frozen=True)
class Timing:
    wall_s: float
    cpu_s: float  # user + system time of the command and every process it waited for

    def __add__(self, other: Timing) -> Timing:
        return Timing(self.wall_s + other.wall_s, self.cpu_s + other.cpu_s)

    def __mul__(self, factor: float) -> Timing:
        return Timing(self.wall_s * factor, self.cpu_s * factor)


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timed(cmd: list[str], env: dict[str, str] | None = None) -> Timing:
    """Wall and CPU seconds of `cmd`; a failing command raises with its last line of output.

    CPU time counts only this command's processes, so on a shared machine it moves far
    less with the other users' load than the wall clock does."""
    cpu = _children_cpu_s()
    start = time.perf_counter()
    proc = subprocess.run(
        cmd,
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=RUN_LIMIT_S,
        check=False,
    )
    timing = Timing(time.perf_counter() - start, _children_cpu_s() - cpu)
    if proc.returncode != 0:
        tail = (proc.stdout + proc.stderr).strip().splitlines()[-1:] or ["no output"]
        raise RuntimeError(f"{' '.join(cmd[:4])} ... exited {proc.returncode}: {tail[0]}")
    return timing


def _pytest_env(sel: Selection, record: Path | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTEST_ADDOPTS", "PYTEST_PLUGINS")}
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # as in the engine: only the plugins named
    env[inprocess.SUBMISSION_ENV] = str(sel.solution)
    env[inprocess.PACKAGE_ENV] = sel.hw.package
    if record is not None:
        env[inprocess.RECORD_ENV] = str(record)
    return env


def _pytest_args(sel: Selection, targets: list[str]) -> list[str]:
    """The engine's pytest options, with the in-process stand-in for its fixtures."""
    suite = str(sel.hw.suite_dir)
    return [
        *targets,
        "-c",
        os.devnull,
        "--rootdir",
        suite,
        "--confcutdir",
        suite,
        "--import-mode=importlib",
        "--assert=plain",
        "-p",
        "no:cacheprovider",
        "-q",
        "-p",
        inprocess.__name__,
    ]


@dataclass(frozen=True)
class PytestRun:
    timing: Timing
    tests_s: float  # setup + call + teardown of every test, as pytest measured them
    nodeids: list[str]


def run_pytest(sel: Selection, tmp: Path, *, forked: bool) -> PytestRun:
    record = tmp / f"{sel.hw.name}-{'forked' if forked else 'inprocess'}.json"
    args = _pytest_args(sel, [str(sel.hw.suite_dir), "-k", sel.keyword])
    if forked:
        args += ["-p", "pytest_forked", "--forked"]
    timing = _timed([sys.executable, "-m", "pytest", *args], _pytest_env(sel, record))
    tests = json.loads(record.read_text())["tests"]
    calls = [t for t in tests if t["when"] == "call"]
    failed = [t["nodeid"] for t in tests if t["outcome"] != "passed"]
    if failed or not calls:
        raise RuntimeError(f"the reference of {sel.hw.name} did not pass {failed or 'any test'}")
    return PytestRun(timing, sum(t["seconds"] for t in tests), [t["nodeid"] for t in calls])


def run_engine(sel: Selection, tmp: Path, expected: int) -> tuple[Timing, float]:
    """(timing of `grader grade`, wall s inside grade()) for the selection, on the CPU."""
    out = tmp / f"{sel.hw.name}-engine.json"
    cmd = [
        sys.executable,
        "-m",
        "grader",
        "grade",
        sel.hw.name,
        str(sel.solution),
        "-k",
        sel.keyword,
        "--device",
        "cpu",
        "--json",
        str(out),
    ]
    timing = _timed(cmd)
    report = json.loads(out.read_text())
    lost = [t["name"] for t in report["tests"] if t["score"] < t["max_score"]]
    if lost or len(report["tests"]) != expected:
        raise RuntimeError(
            f"the engine ran {len(report['tests'])} of {expected} tests of "
            f"{sel.hw.name}; points lost in {lost}"
        )
    return timing, float(report["execution_time"])


def run_subprocesses(sel: Selection, nodeids: list[str], sample_size: int) -> tuple[Timing, int]:
    """Time for all tests, one fresh `python -c` each, scaled up from an even sample of
    them; and how many were run."""
    step = max(1, -(-len(nodeids) // sample_size))
    sample = nodeids[::step]
    env = _pytest_env(sel, None)
    total = Timing(0.0, 0.0)
    for nodeid in sample:
        target = str(sel.hw.suite_dir / nodeid)
        total = total + _timed([sys.executable, "-c", _PYTHON_C, *_pytest_args(sel, [target])], env)
    return total * (len(nodeids) / len(sample)), len(sample)
