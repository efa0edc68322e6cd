"""Find the homework's files in what a student uploaded, and copy the whitelisted ones.

Gradescope unpacks an uploaded zip into /autograder/submission, so the package may sit at
`hw1/models.py` (the zip `make submit` builds), deeper (`my-repo/assignments/hw1/hw1/...`
from a GitHub upload), or flat (`models.py` dragged in on its own). Files the student did
not provide are taken from the starter, so a partial upload is graded on what it has.
"""

from __future__ import annotations

import ast
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from grader.homeworks import Homework
from grader.sandbox import prepare_scratch

__all__ = ["PreparedSubmission", "SubmissionProblem", "prepare_submission"]

MAX_SOURCE_BYTES = 1 << 20  # a hand-written module is far smaller; refuse before parsing
MAX_DEPTH = 5  # how deep to look for the package folder
IGNORED_DIRS = {"__MACOSX", "__pycache__", ".git", ".ipynb_checkpoints", "node_modules"}


class SubmissionProblem(Exception):
    """The upload cannot be graded; the message is safe to show the student and says why."""


@dataclass(frozen=True)
class PreparedSubmission:
    root: Path  # holds <package>/ with every whitelisted file
    provided: list[str]  # whitelist paths taken from the upload
    from_starter: list[str]  # whitelist paths the upload lacked, taken from the starter


def prepare_submission(homework: Homework, upload: Path, dest: Path) -> PreparedSubmission:
    """Copy the whitelisted files of `upload` into `dest/<package>/`, completed from the
    starter; raises SubmissionProblem when no homework file is found or one does not parse."""
    whitelist = homework.whitelist()  # "hw1/models.py", ...
    prefix = f"{homework.package}/"
    inner = [w.removeprefix(prefix) for w in whitelist]  # "models.py", ...
    package_dir = _find_package(upload, homework.package, inner)
    scratch = dest / homework.package
    prepare_scratch(package_dir, inner, scratch)  # regular files only, links never followed
    provided = [prefix + rel for rel in inner if (scratch / rel).is_file()]
    for rel in provided:
        _check_source(scratch / rel.removeprefix(prefix), rel)
    missing = [w for w in whitelist if w not in provided]
    for rel in missing:
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(homework.starter_dir / rel, target)
    return PreparedSubmission(dest, provided, missing)


def _find_package(upload: Path, package: str, inner: list[str]) -> Path:
    """The folder in `upload` that holds the package's files (see the module docstring)."""
    if not upload.is_dir():
        raise SubmissionProblem("the submission folder is missing; please upload again")
    candidates: list[tuple[int, Path]] = []
    for dirpath, dirnames, _ in os.walk(upload):
        here = Path(dirpath)
        depth = len(here.relative_to(upload).parts)
        dirnames[:] = (
            []
            if depth >= MAX_DEPTH
            else sorted(
                d for d in dirnames if d not in IGNORED_DIRS and not (here / d).is_symlink()
            )
        )
        if here.name == package and _holds_any(here, inner):
            candidates.append((depth, here))
    if candidates:
        shallowest = min(depth for depth, _ in candidates)
        best = [path for depth, path in candidates if depth == shallowest]
        if len(best) > 1:
            where = ", ".join(p.relative_to(upload).as_posix() for p in best)
            raise SubmissionProblem(
                f"found more than one {package}/ folder in your submission ({where}); "
                "upload only one"
            )
        return best[0]
    if _holds_any(upload, inner):
        return upload  # files uploaded on their own, without the package folder
    expected = ", ".join(f"{package}/{rel}" for rel in inner)
    found = sorted(p.name for p in upload.iterdir())[:10]
    raise SubmissionProblem(
        f"no file of {package} found in your submission (expected {expected}; found: "
        f"{', '.join(found) or 'nothing'}). Upload the zip made by `make submit HW={package}`."
    )


def _holds_any(folder: Path, inner: list[str]) -> bool:
    return any((folder / rel).is_file() and not (folder / rel).is_symlink() for rel in inner)


def _check_source(path: Path, name: str) -> None:
    """Refuse a file that is not UTF-8 Python that parses, naming the file and the line.

    Parsing does not run anything: the student's code only ever runs in the sandbox.
    """
    size = path.stat().st_size
    if size > MAX_SOURCE_BYTES:
        raise SubmissionProblem(
            f"{name} is {size / 1e6:.1f} MB; source files must be under "
            f"{MAX_SOURCE_BYTES / 1e6:.0f} MB (do not paste data or weights into code)"
        )
    try:
        source = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise SubmissionProblem(f"{name} is not a UTF-8 text file; upload the .py source") from None
    try:
        ast.parse(source, filename=name)
    except SyntaxError as exc:
        raise SubmissionProblem(
            f"{name} line {exc.lineno}: {exc.msg}; fix the syntax error and submit again"
        ) from None
    except (RecursionError, MemoryError, ValueError) as exc:
        raise SubmissionProblem(f"{name} cannot be parsed ({type(exc).__name__})") from None
