"""Shared helpers for the project's tests: mutants of reference solutions, and the checks
every homework's tests make (public tests, starter signatures, hidden test names)."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from grader.procfs import stat_fields
from grader.results import GradeReport


@dataclass(frozen=True)
class Mutant:
    """A common student mistake, made by one text replacement in the reference.

    `loses` names the hidden tests (pytest -k words) that must lose points on it; `says`
    is a phrase that the failure message of at least one of them must contain, so the
    message names the mistake and not only its symptom ("" when not yet audited).
    """

    name: str
    file: str  # path relative to the solution dir, e.g. "hw1/models.py"
    old: str
    new: str
    loses: tuple[str, ...]
    says: str = ""


def make_mutant(solution_dir: Path, mutant: Mutant, dest: Path) -> Path:
    """Copy the solution package into `dest` and apply the mutant; returns `dest`.

    Fails loudly if `old` does not occur exactly once, so a mutant cannot silently stop
    mutating anything when the reference changes.
    """
    shutil.copytree(solution_dir, dest, ignore=shutil.ignore_patterns("__pycache__"))
    target = dest / mutant.file
    text = target.read_text()
    count = text.count(mutant.old)
    if count != 1:
        raise AssertionError(
            f"mutant {mutant.name}: {mutant.old!r} occurs {count} times in {mutant.file}, "
            "expected 1"
        )
    target.write_text(text.replace(mutant.old, mutant.new))
    return dest


def check_mutant_report(
    report: GradeReport, mutant: Mutant, keeps: tuple[str, ...], names: dict[str, str]
) -> None:
    """The mutant lost points on each test of `mutant.loses` and kept every point of `keeps`,
    so the check is aimed at the mistake and not at the whole task. `names` maps a report's
    test names to the hidden test functions (`docstring_names`)."""
    by_function = {names[t.name]: t for t in report.tests}
    assert set(by_function) == set(mutant.loses + keeps), sorted(by_function)
    for name in mutant.loses:
        result = by_function[name]
        assert result.score < result.max_score, f"{mutant.name} kept the points of {name}"
    for name in keeps:
        result = by_function[name]
        assert result.score == result.max_score, f"{mutant.name} lost {name}: {result.output}"
    if mutant.says:
        outputs = [by_function[name].output for name in mutant.loses]
        assert any(mutant.says in out for out in outputs), (mutant.name, mutant.says, outputs)
    check_no_crash_blamed(report, allowed="crash" in mutant.says)


def check_no_crash_blamed(report: GradeReport, *, allowed: bool = False) -> None:
    """No test says "your code crashed" unless the submission was written to crash: a
    grader or PyTorch failure must never be blamed on the student (grader/engine/crashes.py)."""
    if allowed:
        return
    blamed = [(t.number, t.output) for t in report.tests if "your code crashed" in t.output]
    assert not blamed, f"{report.submission}: a crash was blamed on the student: {blamed}"


def docstring_names(suite_dir: Path) -> dict[str, str]:
    """A report's test name (the docstring's first line) -> the hidden test function's name."""
    names: dict[str, str] = {}
    for path in suite_dir.glob("test_*.py"):
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                doc = ast.get_docstring(node) or node.name
                names[doc.splitlines()[0].strip()] = node.name
    return names


def signatures(path: Path) -> set[str]:
    """Every def (with its arguments) and class of a module: what a starter must keep."""
    tree = ast.parse(path.read_text())
    return {
        f"{n.name}({ast.unparse(n.args)})" if not isinstance(n, ast.ClassDef) else n.name
        for n in ast.walk(tree)
        if isinstance(n, (ast.FunctionDef, ast.ClassDef))
    }


def run_public_tests(starter_dir: Path, target_dir: Path) -> subprocess.CompletedProcess[str]:
    """Run a homework's public tests (from the starter) against the package in `target_dir`."""
    env = {**os.environ, "PUBLIC_TESTS_TARGET": str(target_dir)}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            str(starter_dir / "tests"),
        ],
        cwd=Path(__file__).resolve().parents[1],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def task_of(number: str) -> str:
    """ "Task 3" for a hidden test numbered "3.2"."""
    return f"Task {number.split('.')[0]}"


def suite_points(suite_dir: Path) -> dict[str, float]:
    """Points per task ("Task N") that a hidden suite awards, read from its decorators."""
    points: dict[str, float] = {}
    for path in sorted(suite_dir.glob("test_*.py")):
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                value = _decorator_arg(node, "weight") or _decorator_arg(node, "partial_credit")
                number = _decorator_arg(node, "number")
                assert isinstance(value, (int, float)) and number is not None, (path, node.name)
                task = task_of(str(number))
                points[task] = points.get(task, 0.0) + float(value)
    return points


def check_handout_points(starter_dir: Path, suite_dir: Path) -> None:
    """The handout's task table (`| N | file | what | points |`) gives each task the points
    the hidden suite awards, and they add up to 100."""
    points = suite_points(suite_dir)
    assert sum(points.values()) == 100, points
    rows = (starter_dir / "README.md").read_text().splitlines()
    for task, total in points.items():
        row = next((line for line in rows if line.startswith(f"| {task[5:]} |")), "")
        assert row.rstrip().endswith(f"| {total:g} |"), (task, total, row)


def check_starter_signatures(starter_dir: Path, solution_dir: Path, package: str) -> None:
    """Same module files, and every def/class of the reference exists in the starter."""
    ref_files = sorted(p.name for p in (solution_dir / package).glob("*.py"))
    assert ref_files == sorted(p.name for p in (starter_dir / package).glob("*.py"))
    for name in ref_files:
        starter, reference = starter_dir / package / name, solution_dir / package / name
        assert signatures(reference) == signatures(starter), name


def _decorator_arg(node: ast.FunctionDef, name: str) -> object:
    for dec in node.decorator_list:
        if isinstance(dec, ast.Call) and getattr(dec.func, "id", None) == name:
            return ast.literal_eval(dec.args[0])
    return None


def batch_job_pids(out: Path) -> list[int]:
    """Live (not zombie) `grader.batch.job` processes grading into `out`: their command
    line names it."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmd = (entry / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        fields = stat_fields(entry.name)
        if "grader.batch.job" in cmd and str(out) in cmd and fields and fields[0] != b"Z":
            pids.append(int(entry.name))
    return pids
