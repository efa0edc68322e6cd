"""Turn an upload into a submission: the one rule set behind `grader grade`, `grader batch`,
the Gradescope autograder and `grader bundle` (docs/contracts.md, "What a submission is").

1. An upload is a folder (a git checkout is a folder) or a .zip, unpacked safely first.
   `.git`, `__MACOSX`, caches, virtual environments and symbolic links are never entered.
2. The package is the shallowest folder named `<package>` (at most MAX_DEPTH levels down)
   holding a whitelisted file: `hw1/`, `my-repo/assignments/hw1/hw1/`, ... Without one, the
   shallowest folder holding whitelisted files by name is used: `models.py` uploaded flat.
   Two candidates at the same depth are refused: the grader will not guess.
3. Only whitelisted regular files are copied (the starter package's .py files), each under
   MAX_SOURCE_BYTES; links are never followed.
4. A whitelisted file the upload lacks is taken from the starter, everywhere, and a note
   says so: its tasks then score what the starter scores (nothing), the others are graded.
5. An upload that defines another homework's names instead of this one's is refused
   ("this looks like hw2: it defines MLPClassifier, the hw3 starter defines CNNClassifier").
6. A file that does not parse is kept (the tests that import it fail naming the line) and
   a note names it.

Nothing here runs the student's code: files are copied and parsed, never imported.
"""

from __future__ import annotations

import ast
import os
import shutil
import tempfile
import zipfile
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from grader import homeworks
from grader.engine import sandboxing
from grader.errors import GraderError
from grader.homeworks import Homework
from grader.layout import IGNORED_DIRS

__all__ = [
    "MAX_DEPTH",
    "MAX_SOURCE_BYTES",
    "IntakeError",
    "Submission",
    "find_package",
    "intake",
    "temporary_intake",
]

MAX_DEPTH = 5  # my-repo/course/assignments/hw1/hw1 is four levels down
MAX_SOURCE_BYTES = 1 << 20  # a hand-written module is far smaller: data or weights pasted in
NEVER_ENTERED = IGNORED_DIRS  # caches, environments, version control, run outputs


class IntakeError(GraderError):
    """The upload cannot be graded; the one-line message is safe to show the student."""


@dataclass(frozen=True)
class Submission:
    """What the engine grades: `root/<package>/` holds every whitelisted file."""

    root: Path
    found_at: str  # where the package was in the upload ("." for the upload itself)
    provided: tuple[str, ...]  # whitelist paths ("hw1/models.py") taken from the upload
    from_starter: tuple[str, ...]  # whitelist paths the upload lacked, taken from the starter
    notes: tuple[str, ...] = field(default=())  # for the student: what intake did and why


def intake(
    homework: Homework,
    upload: str | Path,
    staging: Path,
    *,
    others: Sequence[Homework] | None = None,
) -> Submission:
    """Apply the module's rules to `upload`, writing the submission under `staging`.

    `others` are the homeworks a wrong upload is compared with (default: every homework of
    the course but this one). Raises IntakeError with a one-line message.
    """
    upload = Path(upload)
    notes: list[str] = []
    if not upload.exists():
        raise IntakeError(f"submission {upload} does not exist; pass a folder or a .zip")
    if upload.is_file():
        if upload.suffix.lower() != ".zip":
            raise IntakeError(
                f"submission {upload} is a file but not a .zip; pass a folder or a .zip"
            )
        _check_zip(upload)
        unzipped = staging / "unzipped"
        notes += sandboxing.extract_submission(upload, unzipped)
        upload = unzipped
    package_dir, found_at = find_package(homework, upload)
    whitelist = homework.whitelist()
    inner = [_inner(homework, rel) for rel in whitelist]
    root = staging / "submission"
    scratch = root / homework.package
    sandboxing.prepare_scratch(package_dir, inner, scratch)  # regular files only, no links
    provided = [
        rel for rel, name in zip(whitelist, inner, strict=True) if (scratch / name).is_file()
    ]
    for rel in provided:
        _check_size(scratch / _inner(homework, rel), rel)
    _refuse_other_homework(homework, scratch, provided, others)
    missing = [rel for rel in whitelist if rel not in provided]
    for rel in missing:
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(homework.starter_dir / rel, target)
    if found_at not in (".", homework.package):
        notes.append(f"graded the {homework.package} package found at {found_at}/")
    if missing:
        notes.append("not in your submission, taken from the starter: " + ", ".join(missing))
    notes += _unparsable(scratch, [_inner(homework, rel) for rel in provided], homework.package)
    return Submission(root, found_at, tuple(provided), tuple(missing), tuple(notes))


@contextmanager
def temporary_intake(homework: Homework, upload: str | Path) -> Iterator[Submission]:
    """`intake` into a temporary folder removed on exit."""
    with tempfile.TemporaryDirectory(prefix="grader-intake-") as tmp:
        yield intake(homework, upload, Path(tmp))


def find_package(homework: Homework, upload: Path) -> tuple[Path, str]:
    """(folder holding the package's files, its path in the upload) by rule 2."""
    inner = [_inner(homework, rel) for rel in homework.whitelist()]
    named: list[tuple[int, Path]] = []
    flat: list[tuple[int, Path]] = []
    for depth, folder in _folders(upload):
        if _holds_any(folder, inner):
            (named if folder.name == homework.package else flat).append((depth, folder))
    for candidates, kind in ((named, f"{homework.package}/ folder"), (flat, "folder")):
        if candidates:
            shallowest = min(depth for depth, _ in candidates)
            best = [folder for depth, folder in candidates if depth == shallowest]
            if len(best) > 1:
                where = ", ".join(_where(f, upload) for f in best[:4])
                raise IntakeError(
                    f"found more than one {kind} holding {homework.package}'s files ({where}); "
                    f"upload only one {homework.package}/ folder"
                )
            return best[0], _where(best[0], upload)
    expected = ", ".join(f"{homework.package}/{name}" for name in inner)
    found = sorted(p.name for p in upload.iterdir() if p.name not in NEVER_ENTERED)[:8]
    raise IntakeError(
        f"no file of {homework.package} found in the submission (expected {expected}; found: "
        f"{', '.join(found) or 'nothing'}); upload the zip made by `make submit HW={homework.name}`"
    )


def _folders(top: Path) -> Iterator[tuple[int, Path]]:
    """(depth, folder) under `top` breadth-first enough for rule 2, never through links."""
    for dirpath, dirnames, _ in os.walk(top):
        here = Path(dirpath)
        depth = len(here.relative_to(top).parts)
        yield depth, here
        dirnames[:] = (
            []
            if depth >= MAX_DEPTH
            else sorted(
                d for d in dirnames if d not in NEVER_ENTERED and not (here / d).is_symlink()
            )
        )


def _where(folder: Path, top: Path) -> str:
    return folder.relative_to(top).as_posix() or "."


def _inner(homework: Homework, rel: str) -> str:
    return rel.removeprefix(f"{homework.package}/")


def _holds_any(folder: Path, inner: Iterable[str]) -> bool:
    return any((folder / rel).is_file() and not (folder / rel).is_symlink() for rel in inner)


def _check_zip(path: Path) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            bad = archive.testzip()
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError) as exc:
        raise IntakeError(
            f"{path} is not a readable .zip ({exc}); zip your package folder again"
        ) from None
    if bad is not None:
        raise IntakeError(f"{path} is corrupt (bad CRC in {bad!r}); zip your package folder again")
    for name in names:
        parts = PurePosixPath(name.replace("\\", "/"))
        if parts.is_absolute() or ".." in parts.parts or (parts.parts and ":" in parts.parts[0]):
            raise IntakeError(
                f"{path}: entry {name!r} is an absolute path or leaves the zip with '..'"
            )


def _check_size(path: Path, name: str) -> None:
    size = path.stat().st_size
    if size > MAX_SOURCE_BYTES:
        raise IntakeError(
            f"{name} is {size / 1e6:.1f} MB; source files must be under "
            f"{MAX_SOURCE_BYTES / 1e6:.0f} MB (keep data and weights out of the code)"
        )


def _unparsable(scratch: Path, names: list[str], package: str) -> list[str]:
    notes = []
    for name in names:
        try:
            ast.parse((scratch / name).read_bytes(), filename=name)
        except SyntaxError as exc:
            notes.append(f"{package}/{name} line {exc.lineno} does not parse: {exc.msg}")
        except (RecursionError, MemoryError, ValueError) as exc:
            notes.append(f"{package}/{name} cannot be parsed ({type(exc).__name__})")
    return notes


def defined_names(folder: Path, names: Iterable[str]) -> set[str]:
    """Public top-level classes and functions of the given files (unparsable ones: none)."""
    found: set[str] = set()
    for name in names:
        try:
            tree = ast.parse((folder / name).read_bytes())
        except (SyntaxError, RecursionError, MemoryError, ValueError, OSError):
            continue
        found |= {
            node.name
            for node in tree.body
            if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
            and not node.name.startswith("_")
        }
    return found


def _starter_names(homework: Homework) -> set[str]:
    return defined_names(homework.starter_dir, homework.whitelist())


def _refuse_other_homework(
    homework: Homework, scratch: Path, provided: list[str], others: Sequence[Homework] | None
) -> None:
    """Rule 5. Names that several starters define (`train`, `main`) prove nothing; an upload
    with more names distinctive of another homework than of this one is the wrong package."""
    if others is None:
        others = [homeworks.get(n) for n in homeworks.available() if n != homework.name]
    expected = _starter_names(homework)
    theirs = {o.name: _starter_names(o) for o in others if o.name != homework.name}
    counts = Counter(name for names in [expected, *theirs.values()] for name in names)
    common = {name for name, n in counts.items() if n > 1}
    uploaded = defined_names(scratch, [_inner(homework, rel) for rel in provided])
    best = (len((uploaded & expected) - common), "", [""])
    for name, names in theirs.items():
        foreign = sorted((uploaded & names) - expected, key=_classes_first)
        if len(foreign) > best[0]:
            best = (len(foreign), name, foreign)
    if best[1]:
        lacking = sorted(expected - uploaded - common, key=_classes_first) or ["other names"]
        raise IntakeError(
            f"this looks like {best[1]}: it defines {', '.join(best[2][:3])}, the "
            f"{homework.name} starter defines {', '.join(lacking[:3])}; upload your "
            f"{homework.name} package"
        )


def _classes_first(name: str) -> tuple[bool, str]:
    return (not name[:1].isupper(), name)
