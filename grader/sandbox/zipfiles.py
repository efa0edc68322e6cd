"""Unpacking a .zip submission without trusting it.

A member is skipped (with a note saying why) when its name is absolute or climbs out with
`..`, when it is a link or not a regular file, or when it would pass the size caps. Sizes
are counted while decompressing, not read from the headers, which a zip bomb fakes.
"""

from __future__ import annotations

import stat
import zipfile
from pathlib import Path, PurePosixPath

from grader.errors import GraderError

MiB = 1 << 20
_CHUNK = 1 << 16


def _unsafe_name(name: str) -> str | None:
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or (path.parts and ":" in path.parts[0]):
        return "absolute path"
    if ".." in path.parts:
        return "path leaves the submission (..)"
    if any(part.startswith("\x00") or "\x00" in part for part in path.parts):
        return "NUL in name"
    return None


def extract_submission(
    zip_path: str | Path,
    dest: str | Path,
    *,
    max_total_bytes: int = 64 * MiB,
    max_member_bytes: int = 16 * MiB,
    max_members: int = 2000,
) -> list[str]:
    """Extract the safe regular files of `zip_path` under `dest`; returns notes on what was
    skipped. Raises GraderError only when the file is not a readable zip at all."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    notes: list[str] = []
    total = 0
    try:
        archive = zipfile.ZipFile(zip_path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise GraderError(
            f"{zip_path}: not a readable .zip ({exc}); zip your package folder"
        ) from None
    with archive:
        members = archive.infolist()
        if len(members) > max_members:
            notes.append(f"only the first {max_members} of {len(members)} zip entries were read")
            members = members[:max_members]
        for info in members:
            why = _unsafe_name(info.filename)
            mode = info.external_attr >> 16
            if why is None and info.is_dir():
                continue
            if why is None and stat.S_IFMT(mode) not in (0, stat.S_IFREG):
                why = "not a regular file (a link or device)"
            if why is None and total >= max_total_bytes:
                why = f"the submission already exceeds {max_total_bytes // MiB} MiB"
            if why is not None:
                notes.append(f"skipped {info.filename[:200]!r}: {why}")
                continue
            budget = min(max_member_bytes, max_total_bytes - total)
            written, why = _copy_member(archive, info, dest / info.filename, budget)
            total += written
            if why is not None:
                notes.append(f"skipped {info.filename[:200]!r}: {why}")
    return notes


def _copy_member(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, budget: int
) -> tuple[int, str | None]:
    """Stream one member to target, stopping past `budget` bytes (the file is removed)."""
    written = 0
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with archive.open(info) as src, open(target, "xb") as out:
            while chunk := src.read(_CHUNK):
                written += len(chunk)
                if written > budget:
                    break
                out.write(chunk)
    except FileExistsError:
        return 0, "duplicate name"
    except (zipfile.BadZipFile, OSError, NotImplementedError, RuntimeError) as exc:
        target.unlink(missing_ok=True)
        return 0, f"cannot be extracted ({exc})"
    if written > budget:
        target.unlink(missing_ok=True)
        return budget, f"larger than {budget // MiB} MiB uncompressed"
    return written, None
