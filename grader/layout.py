"""Facts about the project's layout that more than one part needs, stated once.

- where things are: the project root, the hidden suites, the hidden-split seed;
- what is secret: `hidden_paths()` are what a sandboxed worker must never see (the engine
  hands them to the sandbox as parameters; the sandbox knows no project layout);
- what is never copied: caches, data and weights (`IGNORED_DIRS`, `IGNORED_SUFFIXES`),
  for the autograder zip, the student release and an upload's intake alike;
- dataset file stems, derived from coursedata's registry instead of restated.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

from grader.errors import GraderError

__all__ = [
    "HIDDEN_SEED_ENV",
    "IGNORED_DIRS",
    "IGNORED_SUFFIXES",
    "PROJECT_ROOT",
    "RELEASE_MARKER",
    "SUITES_DIR",
    "dataset_stems",
    "hidden_paths",
    "hidden_seed",
    "hidden_seed_file",
    "ignore_patterns",
    "is_ignored",
    "is_student_release",
]

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SUITES_DIR = PROJECT_ROOT / "grader" / "suites"
HIDDEN_SEED_ENV = "GRADER_HIDDEN_SEED"
RELEASE_MARKER = ".course-release"  # at the root of a student release (grader release)


def is_student_release(root: Path = PROJECT_ROOT) -> bool:
    """Whether this checkout is a student release: no hidden suites, student verbs only."""
    return (root / RELEASE_MARKER).is_file()


# Never copied anywhere (caches, environments, version control, run outputs) ...
IGNORED_DIRS = frozenset(
    {"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".ipynb_checkpoints",
     "__MACOSX", ".git", ".hg", ".svn", ".venv", "venv", ".tox", "node_modules",
     "runs", "logs", "lightning_logs", "wandb", "checkpoints", "*.egg-info"}
)  # fmt: skip
# ... nor files of these kinds: bytecode, logs, arrays and weights.
IGNORED_SUFFIXES = (
    ".pyc", ".pyo", ".log", ".npy", ".npz", ".pt", ".pth", ".ckpt", ".safetensors",
)  # fmt: skip
_SEED = re.compile(r"[\x21-\x7e]{1,200}")  # one word of printable ASCII


def is_ignored(name: str, *, is_dir: bool) -> bool:
    """Whether a file or folder called `name` is left out of every copy the project makes."""
    if is_dir:
        return name in IGNORED_DIRS or name.endswith(".egg-info")
    return name.endswith(IGNORED_SUFFIXES)


def ignore_patterns() -> Callable[[str, list[str]], set[str]]:
    """`is_ignored` as a `shutil.copytree(ignore=...)` callable."""

    def ignore(directory: str, names: list[str]) -> set[str]:
        return {n for n in names if is_ignored(n, is_dir=os.path.isdir(os.path.join(directory, n)))}

    return ignore


def hidden_seed_file(root: Path = PROJECT_ROOT) -> Path:
    return root / "grader" / "suites" / "hidden_seed.txt"


def hidden_seed(root: Path = PROJECT_ROOT, *, required: bool = True) -> str | None:
    """$GRADER_HIDDEN_SEED, else grader/suites/hidden_seed.txt (docs/contracts.md, 4).

    The same checks everywhere: a seed is one word of printable ASCII. Without one, a
    GraderError when `required` (building an autograder), else None (a student release
    generates public data only).
    """
    seed, source = os.environ.get(HIDDEN_SEED_ENV, "").strip(), f"${HIDDEN_SEED_ENV}"
    path = hidden_seed_file(root)
    if not seed and path.is_file():
        seed, source = path.read_text(encoding="utf-8").strip(), str(path)
    if not seed:
        if not required:
            return None
        raise GraderError(
            f"no hidden seed: set ${HIDDEN_SEED_ENV} or write one to {path} "
            "(the autograder needs it to generate the hidden test split)"
        )
    if not _SEED.fullmatch(seed):
        raise GraderError(
            f"hidden seed from {source} must be one word of printable ASCII, got {seed!r}"
        )
    return seed


def hidden_paths(suite_dir: Path, solution_dir: Path | None) -> tuple[Path, ...]:
    """What a worker grading a homework must never see beyond what the sandbox hides by
    itself: the homework's hidden suite and its reference."""
    return (suite_dir,) if solution_dir is None else (suite_dir, solution_dir)


def dataset_stems(dataset: str) -> tuple[str, str]:
    """(input stem, target stem) of a coursedata dataset's split files, e.g. ("images",
    "labels") for `test_images.npy` / `test_labels.npy`: from the registry's keys, whose
    hidden key is the target."""
    from coursedata.errors import DatasetError
    from coursedata.registry import get_spec

    try:
        spec = get_spec(dataset)
    except DatasetError as exc:
        raise GraderError(str(exc)) from None
    target = spec.hidden_keys[0]
    inputs = [k for k in spec.keys if k != target] or [target]  # sequences: tokens both ways
    return inputs[0], target
