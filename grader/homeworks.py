"""Where each homework lives: starter, reference solution, hidden suite, whitelisted files.

Every homework follows one layout (see docs/contracts.md):

    assignments/<hw>/README.md          the handout
    assignments/<hw>/<hw>/*.py          the student package (the whitelist is its .py files)
    assignments/<hw>/tests/             public tests
    solutions/<hw>/<hw>/*.py            the reference, same paths and signatures
    grader/suites/<hw>/test_*.py        the hidden suite (trusted; never shipped to students)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from grader.errors import GraderError

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SUITES_DIR = Path(__file__).resolve().parent / "suites"


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
    def has_hidden_suite(self) -> bool:
        return self.suite_dir.is_dir() and any(self.suite_dir.glob("test_*.py"))


def available(root: Path = PROJECT_ROOT) -> list[str]:
    """Homework names with a starter package in assignments/, sorted."""
    base = root / "assignments"
    if not base.is_dir():
        return []
    return sorted(p.name for p in base.iterdir() if (p / p.name / "__init__.py").is_file())


def get(name: str, root: Path = PROJECT_ROOT) -> Homework:
    """The homework called `name`, or a GraderError listing the known ones."""
    names = available(root)
    if name not in names:
        known = ", ".join(names) or "none"
        raise GraderError(f"unknown homework {name!r}; known homeworks: {known}")
    solution = root / "solutions" / name
    return Homework(
        name=name,
        package=name,
        starter_dir=root / "assignments" / name,
        suite_dir=SUITES_DIR / name,
        solution_dir=solution if solution.is_dir() else None,
    )
