"""Where each homework lives, and what it declares about itself.

A homework is three folders under one course root and nothing else (docs/writing-tests.md,
"Adding a homework"):

    assignments/<hw>/README.md             the handout
    assignments/<hw>/<hw>/*.py             the student package (the whitelist is its .py files)
    assignments/<hw>/tests/                public tests (plain pytest, in-process)
    assignments/<hw>/grading/test_*.py     the public graded suite (validation data, points)
    solutions/<hw>/<hw>/*.py               the reference, same paths and signatures
    grader/suites/<hw>/homework.toml       its declaration (HomeworkSpec)
    grader/suites/<hw>/test_*.py           the hidden suite (trusted; never shipped)

Course roots are the project itself and any folder named in $GRADER_HOMEWORK_ROOTS
(os.pathsep-separated): a homework under development, or a test's throwaway one, needs no
file of the project edited.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from grader.errors import GraderError
from grader.layout import PROJECT_ROOT, SUITES_DIR

ROOTS_ENV = "GRADER_HOMEWORK_ROOTS"
SPEC_FILE = "homework.toml"
PUBLIC_SUITE = "grading"  # assignments/<hw>/grading/: the public graded suite


@dataclass(frozen=True)
class HomeworkSpec:
    """grader/suites/<hw>/homework.toml: what a homework declares about itself."""

    title: str  # "Linear models and losses"
    dataset: str  # the coursedata dataset its training tasks use ("images", ...)
    bench_target_s: float  # seconds to grade the reference on the 2-core reference machine

    @classmethod
    def load(cls, path: Path) -> HomeworkSpec:
        """Read and check `path`; a GraderError names the file, the key and what is allowed."""
        try:
            import tomllib  # Python 3.11+; lazily, so 3.10 can still grade
        except ModuleNotFoundError:
            raise GraderError("reading homework.toml needs Python 3.11 or newer") from None
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise GraderError(f"{path}: cannot be read as TOML ({exc})") from None
        unknown = sorted(set(data) - {"title", "dataset", "bench_target_s"})
        if unknown:
            raise GraderError(
                f"{path}: unknown key {unknown[0]!r} (allowed: title, dataset, bench_target_s)"
            )
        for key in ("title", "dataset"):
            if not isinstance(data.get(key), str) or not data[key].strip():
                raise GraderError(
                    f"{path}: {key} must be a non-empty string, got {data.get(key)!r}"
                )
        target = data.get("bench_target_s")
        if isinstance(target, bool) or not isinstance(target, (int, float)) or target <= 0:
            raise GraderError(f"{path}: bench_target_s must be seconds > 0, got {target!r}")
        return cls(data["title"], data["dataset"], float(target))


@dataclass(frozen=True)
class Homework:
    name: str  # "hw1": what people type
    package: str  # the import name of the student package
    starter_dir: Path  # holds <package>/ and the handout
    suite_dir: Path  # hidden pytest suite, run in the trusted parent
    solution_dir: Path | None = None

    def whitelist(self) -> list[str]:
        """Package-relative paths a submission may provide: the starter package's .py files.

        Anything else in a submission (conftest.py, sitecustomize.py, torch.py, data, ...) is
        never copied into the worker's scratch directory.
        """
        pkg = self.starter_dir / self.package
        if not pkg.is_dir():
            raise GraderError(f"homework {self.name}: starter package {pkg} is missing")
        return sorted(p.relative_to(self.starter_dir).as_posix() for p in pkg.rglob("*.py"))

    @property
    def public_suite_dir(self) -> Path:
        """The public graded suite: shipped to students, scored on the validation split."""
        return self.starter_dir / PUBLIC_SUITE

    @property
    def has_hidden_suite(self) -> bool:
        return self.has_suite(public=False)

    def suite_folder(self, *, public: bool) -> Path:
        """The public graded suite's folder, or the hidden suite's."""
        return self.public_suite_dir if public else self.suite_dir

    def has_suite(self, *, public: bool) -> bool:
        folder = self.suite_folder(public=public)
        return folder.is_dir() and any(folder.glob("test_*.py"))

    @property
    def spec(self) -> HomeworkSpec:
        return HomeworkSpec.load(self.suite_dir / SPEC_FILE)

    def problems(self) -> list[str]:
        """What keeps this homework from being complete; empty when it is."""
        found = []
        if self.solution_dir is None:
            found.append(f"{self.name}: no reference in solutions/{self.name}/{self.package}/")
        if not self.has_hidden_suite:
            found.append(f"{self.name}: no hidden suite ({self.suite_dir} holds no test_*.py)")
        if not self.has_suite(public=True):
            found.append(
                f"{self.name}: no public graded suite ({self.public_suite_dir} holds no test_*.py)"
            )
        try:
            HomeworkSpec.load(self.suite_dir / SPEC_FILE)
        except GraderError as exc:
            found.append(
                f"{self.name}: {exc}"
                if (self.suite_dir / SPEC_FILE).exists()
                else f"{self.name}: no {self.suite_dir / SPEC_FILE}"
            )
        return found


def roots() -> list[Path]:
    """The project, then each folder of $GRADER_HOMEWORK_ROOTS."""
    extra = [Path(p) for p in os.environ.get(ROOTS_ENV, "").split(os.pathsep) if p.strip()]
    return [PROJECT_ROOT, *extra]


def _suites_of(root: Path) -> Path:
    return SUITES_DIR if root == PROJECT_ROOT else root / "grader" / "suites"


def _found(root: Path) -> dict[str, Homework]:
    base = root / "assignments"
    if not base.is_dir():
        return {}
    found = {}
    for starter in sorted(base.iterdir()):
        if (starter / starter.name / "__init__.py").is_file():
            solution = root / "solutions" / starter.name
            found[starter.name] = Homework(
                name=starter.name,
                package=starter.name,
                starter_dir=starter,
                suite_dir=_suites_of(root) / starter.name,
                solution_dir=solution if _is_readable_dir(solution / starter.name) else None,
            )
    return found


def _is_readable_dir(path: Path) -> bool:
    """A folder this user may enter: solutions are closed to a grader that does not run
    as their owner (the sandbox user, a TA's account), which then has no solution."""
    try:
        return path.is_dir() and os.access(path, os.R_OK | os.X_OK)
    except PermissionError:
        return False


def _all(root: Path | None) -> dict[str, Homework]:
    found: dict[str, Homework] = {}
    for base in [root] if root is not None else roots():
        for name, hw in _found(base).items():
            found.setdefault(name, hw)  # the project's own homework wins a name clash
    return found


def available(root: Path | None = None) -> list[str]:
    """Homework names with a starter package, sorted (from every course root by default)."""
    return sorted(_all(root))


def get(name: str, root: Path | None = None) -> Homework:
    """The homework called `name`, or a GraderError listing the known ones."""
    found = _all(root)
    if name not in found:
        raise GraderError(
            f"unknown homework {name!r}; known homeworks: {', '.join(found) or 'none'}"
        )
    return found[name]
