"""The student release: what it holds, that it leaks nothing, and that `make grade` works."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from grader.errors import GraderError
from grader.homeworks import PROJECT_ROOT, available
from grader.release import build_release, check_release
from grader.release.leaks import secret_bodies


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not available():
        pytest.skip("no homework in assignments/ yet")
    return build_release(tmp_path_factory.mktemp("rel") / "student").root


def _names(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def test_release_holds_the_student_tree(release: Path) -> None:
    names = _names(release)
    for hw in available():  # handout, starter and public tests, byte for byte
        source = PROJECT_ROOT / "assignments" / hw
        expected = {
            p.relative_to(PROJECT_ROOT).as_posix()
            for p in source.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
        }
        assert f"assignments/{hw}/{hw}/__init__.py" in expected
        shipped = {n for n in names if n.startswith(f"assignments/{hw}/")}
        assert shipped == expected
        for rel in shipped:
            assert (release / rel).read_bytes() == (PROJECT_ROOT / rel).read_bytes()
    for needed in (
        "README.md",
        "Makefile",
        "pyproject.toml",
        "grader/cli.py",
        "datasets/coursedata/__init__.py",
    ):
        assert needed in names  # fmt: skip


def test_release_leaks_nothing_by_name(release: Path) -> None:
    names = _names(release)
    assert not (release / "grader" / "suites").exists()
    assert not [
        n for n in names if n.startswith(("solutions/", "tools/", "tests/", "datasets/data"))
    ]
    assert not [n for n in names if "hidden" in n or n.endswith((".npy", ".pyc"))]
    assert check_release(release, PROJECT_ROOT) == []


def test_leak_check_finds_a_copied_solution_body(release: Path, tmp_path: Path) -> None:
    bodies = [(o, b) for o, b in secret_bodies(PROJECT_ROOT) if o.startswith("solutions/")]
    if not bodies:
        pytest.skip("no reference solution with a non-trivial function yet")
    origin, body = bodies[len(bodies) // 2]
    leaky = tmp_path / "leaky"
    shutil.copytree(release, leaky)
    hw = available()[0]
    indented = "\n".join("        " + line for line in body.splitlines())  # re-indented copy
    with open(leaky / "assignments" / hw / hw / "__init__.py", "a") as handle:
        handle.write(f"\n\ndef helper(x):\n    if x:\n{indented}\n")
    (leaky / "grader" / "suites").mkdir()
    (leaky / "grader" / "suites" / "hidden_seed.txt").write_text("1\n")
    problems = "\n".join(check_release(leaky, PROJECT_ROOT))
    assert f"contains the body of {origin}" in problems
    assert "grader/suites/hidden_seed.txt: must not be shipped" in problems


def test_release_refuses_to_replace_an_unrelated_folder(tmp_path: Path) -> None:
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.tex").write_text("precious")
    with pytest.raises(GraderError, match="is not a course release"):
        build_release(tmp_path / "mine")
    assert (tmp_path / "mine" / "thesis.tex").read_text() == "precious"


def _make(release: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The release's own Makefile, run with this project's environment (no fresh install)."""
    venv = Path(sys.executable).parent.parent
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    command = ["make", "-C", str(release), *args, f"VENV={venv}", "SETUP="]
    return subprocess.run(command, capture_output=True, text=True, timeout=900, env=env)


@pytest.mark.slow
def test_make_grade_in_the_release(release: Path, tmp_path: Path) -> None:
    """In the release, `make grade` runs the public graded suite through the engine: a
    line per test ("not implemented yet" for stubs, no traceback) and an estimated score,
    0 on the starter and 100 on the reference; `make test` runs the public tests with one
    line per stub; `make submit` bundles the package; the CLI offers student verbs only."""
    hw = available()[0]
    solution = PROJECT_ROOT / "solutions" / hw / hw
    if not solution.is_dir():
        pytest.skip(f"no reference solution for {hw}")
    work = tmp_path / "student"
    shutil.copytree(release, work)
    starter = _make(work, "grade", f"HW={hw}")
    assert starter.returncode != 0, starter.stdout[-2000:]  # points lost: make says so
    assert f"{hw}, public suite (" in starter.stdout, starter.stdout[-2000:]
    assert "not implemented yet: Task 1" in starter.stdout
    assert "estimated score 0.00 / 100 (validation data" in starter.stdout
    assert "Traceback" not in starter.stdout + starter.stderr
    tests = _make(work, "test", f"HW={hw}")
    assert tests.returncode != 0 and "not implemented yet: Task 1" in tests.stdout
    assert "Traceback" not in tests.stdout and "site-packages/torch" not in tests.stdout
    shutil.rmtree(work / "assignments" / hw / hw)
    shutil.copytree(solution, work / "assignments" / hw / hw)
    done = _make(work, "grade", f"HW={hw}")
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    assert "estimated score 100.00 / 100" in done.stdout, done.stdout[-3000:]
    passed = _make(work, "test", f"HW={hw}")
    assert passed.returncode == 0, (passed.stdout + passed.stderr)[-3000:]
    assert " passed" in passed.stdout and " failed" not in passed.stdout
    submit = _make(work, "submit", f"HW={hw}")
    assert submit.returncode == 0, (submit.stdout + submit.stderr)[-3000:]
    bundle = work / "dist" / f"{hw}-submission.zip"
    assert f"wrote dist/{hw}-submission.zip" in submit.stdout
    with zipfile.ZipFile(bundle) as archive:
        for rel in sorted(p.name for p in solution.glob("*.py")):
            assert archive.read(f"{hw}/{rel}") == (solution / rel).read_bytes()
    verbs = subprocess.run(
        [sys.executable, "-m", "grader", "--help"], cwd=work, capture_output=True, text=True
    )
    assert "grade" in verbs.stdout and "submit" in verbs.stdout, verbs.stdout
    listed = {line.split()[0] for line in verbs.stdout.splitlines() if line.startswith("    ")}
    assert {"grade", "bundle", "data", "doctor"} <= listed, verbs.stdout
    assert not listed & {"autograder", "release", "batch", "calibrate"}, verbs.stdout


def _toy_project(tmp_path: Path) -> Path:
    """A small course repository: the engine, the toy homework, its solution and suite."""
    from autograder_toy import HERE as TOY

    root = tmp_path / "course"
    ignore = shutil.ignore_patterns("__pycache__", "suites")
    shutil.copytree(PROJECT_ROOT / "grader", root / "grader", ignore=ignore)
    shutil.copytree(PROJECT_ROOT / "datasets" / "coursedata", root / "datasets" / "coursedata",
                    ignore=ignore)  # fmt: skip
    shutil.copyfile(PROJECT_ROOT / "pyproject.toml", root / "pyproject.toml")
    shutil.copytree(TOY / "starter" / "toyhw", root / "assignments" / "toyhw" / "toyhw")
    (root / "assignments" / "toyhw" / "README.md").write_text("# Toy\nDouble a tensor.\n")
    (root / "assignments" / "toyhw" / "tests").mkdir()
    (root / "assignments" / "toyhw" / "tests" / "test_ops.py").write_text(
        "import torch\n\n\ndef test_double():\n    assert True\n"
    )
    shutil.copytree(TOY / "solution" / "toyhw", root / "solutions" / "toyhw" / "toyhw")
    (root / "grader" / "suites" / "toyhw").mkdir(parents=True)
    shutil.copyfile(
        TOY / "suite" / "hidden_toy.py", root / "grader" / "suites" / "toyhw" / "test_toy.py"
    )
    (root / "grader" / "suites" / "hidden_seed.txt").write_text("toy-seed-8675309\n")
    return root


def test_release_is_not_written_when_it_would_leak(tmp_path: Path) -> None:
    root = _toy_project(tmp_path)
    clean = build_release(tmp_path / "clean", project_root=root)
    assert (clean.root / "assignments" / "toyhw" / "toyhw" / "ops.py").is_file()
    # A public test that computes its reference with the solution's own code.
    public = root / "assignments" / "toyhw" / "tests" / "test_ops.py"
    public.write_text(public.read_text() + (
        "\n\ndef reference_double(x):\n    doubled = x.clone()\n"
        "    doubled.mul_(2.0)  # in place on a copy: the caller's tensor is left alone\n"
        "    return doubled\n"
    ))  # fmt: skip
    with pytest.raises(GraderError, match=r"would leak: .*test_ops.py: contains the body of "
                                          r"solutions/toyhw/toyhw/ops.py:double"):  # fmt: skip
        build_release(tmp_path / "leaky", project_root=root)
    assert not (tmp_path / "leaky").exists()
    public.write_text("# seed: toy-seed-8675309\n")
    with pytest.raises(GraderError, match="contains the hidden seed"):
        build_release(tmp_path / "leaky", project_root=root)
