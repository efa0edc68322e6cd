"""Unpacking a `.tar.gz` upload into a plain folder the grader reads like any other.

Only regular files and folders are taken (no links, devices or absolute / `..` paths, via
tarfile's "data" filter), within size limits, so an archive cannot write outside its
folder or fill the disk. Zips go through the grader's own checked extraction.
"""

from __future__ import annotations

import tarfile
from pathlib import Path

from grader.batch.submissions import archive_suffix
from grader.errors import GraderError

MAX_MEMBERS = 2000
MAX_TOTAL_BYTES = 200 * 1024 * 1024


def is_tar(path: Path) -> bool:
    return path.is_file() and archive_suffix(path.name) in (".tar.gz", ".tgz")


def extract_tar(archive: Path, into: Path) -> Path:
    """Extract into `into`; a GraderError naming the problem when the archive is unusable."""
    try:
        with tarfile.open(archive, "r:gz") as tar:
            members = tar.getmembers()
            if len(members) > MAX_MEMBERS:
                raise GraderError(f"{archive.name}: more than {MAX_MEMBERS} entries")
            if sum(m.size for m in members if m.isfile()) > MAX_TOTAL_BYTES:
                raise GraderError(f"{archive.name}: unpacks to more than 200 MB")
            wanted = [m for m in members if m.isfile() or m.isdir()]
            into.mkdir(parents=True, exist_ok=True)
            tar.extractall(into, members=wanted, filter="data")
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise GraderError(
            f"{archive.name} is not a readable .tar.gz ({exc}); upload a .zip of your package"
        ) from None
    return into
