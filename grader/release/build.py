"""Build the student-facing tree (`grader release --out dist/student`).

    README.md, Makefile      for students (templates/): `make grade`, `make submit HW=...`
    pyproject.toml           so `make grade` can `pip install -e .`
    assignments/<hw>/        handouts, starter packages, public tests
    grader/                  the engine, WITHOUT grader/suites (no hidden tests, no seed)
    datasets/coursedata/     the generator (public splits only: there is no seed to make
    datasets/*.md, *.json    the hidden one), the dataset cards and checksums

The tree is built beside `out` and moved into place only after `check_release` found no
leak, so a failed build never leaves a half-checked release behind.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from grader.errors import GraderError
from grader.homeworks import PROJECT_ROOT, available
from grader.layout import RELEASE_MARKER, ignore_patterns
from grader.release.leaks import check_release

__all__ = ["MARKER", "ReleaseInfo", "build_release"]

TEMPLATES = Path(__file__).resolve().parent / "templates"
MARKER = RELEASE_MARKER  # lets a rebuild replace an old release, and nothing else
IGNORE = ignore_patterns()  # grader.layout: the one list of what is never copied


@dataclass(frozen=True)
class ReleaseInfo:
    root: Path
    homeworks: list[str]
    file_count: int


def build_release(out: str | Path, *, project_root: Path = PROJECT_ROOT) -> ReleaseInfo:
    """Write the student release to `out`, replacing an earlier release there."""
    target = Path(out).resolve()
    if target.exists() and not (target / MARKER).is_file() and any(target.iterdir()):
        raise GraderError(
            f"{target} exists and is not a course release; choose an empty or new folder"
        )
    names = available(project_root)
    if not names:
        raise GraderError(f"no homework in {project_root / 'assignments'}; nothing to release")
    staging = target.with_name(f".{target.name}.building")
    shutil.rmtree(staging, ignore_errors=True)
    try:
        _copy_tree(project_root, staging, names)
        problems = check_release(staging, project_root)
        if problems:
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            raise GraderError(f"release not written, it would leak: {problems[0]}{more}")
        shutil.rmtree(target, ignore_errors=True)
        os.replace(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    count = sum(len(files) for _, _, files in os.walk(target))
    return ReleaseInfo(target, names, count)


def _copy_tree(root: Path, dest: Path, homeworks: list[str]) -> None:
    dest.mkdir(parents=True)
    for name in homeworks:
        shutil.copytree(root / "assignments" / name, dest / "assignments" / name, ignore=IGNORE)
    shutil.copytree(root / "grader", dest / "grader", ignore=_ignore_suites(root / "grader"))
    shutil.copytree(
        root / "datasets" / "coursedata", dest / "datasets" / "coursedata", ignore=IGNORE
    )
    for pattern in ("*.md", "*.json"):  # dataset cards, committed checksums of public splits
        for card in sorted((root / "datasets").glob(pattern)):
            shutil.copyfile(card, dest / "datasets" / card.name)
    shutil.copyfile(root / "pyproject.toml", dest / "pyproject.toml")
    for template in ("README.md", "Makefile", "gitignore"):
        name = ".gitignore" if template == "gitignore" else template
        shutil.copyfile(TEMPLATES / template, dest / name)
    (dest / MARKER).write_text("built by `grader release`; rebuilt in place\n", encoding="utf-8")


def _ignore_suites(grader_dir: Path) -> Callable[[str, list[str]], set[str]]:
    """copytree ignore: IGNORE plus grader/suites itself."""

    def ignore(directory: str, names: list[str]) -> set[str]:
        skipped = set(IGNORE(directory, names))
        if Path(directory) == grader_dir:
            skipped.add("suites")
        return skipped

    return ignore
