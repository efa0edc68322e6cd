"""Shared helpers for the project's tests: mutants of reference solutions."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Mutant:
    """A common student mistake, made by one text replacement in the reference.

    `loses` names the hidden tests (pytest -k words) that must lose points on it.
    """

    name: str
    file: str  # path relative to the solution dir, e.g. "hw1/models.py"
    old: str
    new: str
    loses: tuple[str, ...]


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
            f"mutant {mutant.name}: {mutant.old!r} occurs {count} times in {mutant.file}, expected 1"
        )
    target.write_text(text.replace(mutant.old, mutant.new))
    return dest
