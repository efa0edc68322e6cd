"""Which entries of a submissions folder are student submissions, and which are skipped.

A submission is a folder, a `.zip`, or a `.tar.gz` / `.tgz` (any letter case) directly in
the folder; the student's name is the entry's name without the archive suffix. Any name
that is a valid folder name works (unicode, spaces). What cannot be graded is listed with
the reason instead of stopping the batch: names with control characters (a trailing
newline from a script), names that are not valid UTF-8, links, other files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from grader.batch.text import clean, control_chars, has_surrogates
from grader.errors import GraderError

ARCHIVE_SUFFIXES = (".zip", ".tar.gz", ".tgz")


@dataclass(frozen=True)
class Found:
    submissions: dict[str, Path]  # student -> folder or archive
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (entry shown safely, why)


def archive_suffix(name: str) -> str | None:
    lower = name.lower()
    return next((s for s in ARCHIVE_SUFFIXES if lower.endswith(s) and len(lower) > len(s)), None)


def find_submissions(folder: Path) -> Found:
    folder = Path(folder)
    if not folder.is_dir():
        raise GraderError(
            f"submissions folder {folder} does not exist; pass the folder that "
            "holds one folder or archive per student"
        )
    found: dict[str, Path] = {}
    skipped: list[tuple[str, str]] = []
    twice: dict[str, list[Path]] = {}  # ambiguous: which one to grade is the TA's call
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        name = entry.name
        shown = clean(name)
        if name.startswith("."):
            continue  # .DS_Store, .git: not submissions, not worth a line
        if entry.is_symlink():
            skipped.append((shown, "a symbolic link; copy the submission itself here"))
            continue
        suffix = archive_suffix(name)
        if entry.is_dir():
            student = name
        elif entry.is_file() and suffix:
            student = name[: -len(suffix)]
        else:
            skipped.append((shown, "not a folder, .zip or .tar.gz"))
            continue
        if has_surrogates(student):
            skipped.append((shown, "the name is not valid UTF-8; rename it"))
            continue
        bad = control_chars(student)
        if bad:
            codes = ", ".join(sorted({f"U+{ord(c):04X}" for c in bad}))
            skipped.append((shown, f"the name holds control characters ({codes}); rename it"))
            continue
        if student.strip() != student or not student.strip():
            skipped.append((shown, "the name starts or ends with a space; rename it"))
            continue
        if student in found or student in twice:
            twice.setdefault(student, [found.pop(student)] if student in found else [])
            twice[student].append(entry)
            continue
        found[student] = entry
    for student, entries in twice.items():
        names = " and ".join(repr(clean(e.name)) for e in entries)
        skipped.append((clean(student), f"several submissions ({names}); keep one of them"))
    if not found:
        raise GraderError(f"no submissions (folders, .zip or .tar.gz files) in {folder}")
    return Found(found, skipped)
