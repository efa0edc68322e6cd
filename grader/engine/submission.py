"""Find the student's package in what was handed in: a directory holding `<pkg>/`, the
package directory itself (Gradescope puts uploaded files straight into
/autograder/submission), or a .zip of either.
"""

from __future__ import annotations

import zipfile
from pathlib import Path, PurePosixPath

from grader import sandbox
from grader.errors import GraderError
from grader.homeworks import Homework

_IGNORED_TOP = ("__MACOSX",)


def locate_submission(path: str | Path, homework: Homework, staging: Path) -> Path:
    """A directory that holds `<package>/`; files may be copied or unzipped under `staging`."""
    path = Path(path)
    if not path.exists():
        raise GraderError(f"submission {path} does not exist; pass a folder or a .zip")
    if path.is_file():
        if path.suffix.lower() != ".zip":
            raise GraderError(
                f"submission {path} is a file but not a .zip; pass a folder or a .zip"
            )
        _check_zip(path)
        unzipped = staging / "unzipped"
        sandbox.extract_submission(path, unzipped)
        return _package_root(unzipped, homework, staging, origin=path, from_zip=True)
    return _package_root(path, homework, staging, origin=path, from_zip=False)


def _check_zip(path: Path) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            bad = archive.testzip()
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError) as exc:
        raise GraderError(
            f"{path} is not a readable .zip ({exc}); zip your package folder again"
        ) from None
    if bad is not None:
        raise GraderError(f"{path} is corrupt (bad CRC in {bad!r}); zip your package folder again")
    for name in names:
        parts = PurePosixPath(name.replace("\\", "/"))
        if parts.is_absolute() or ".." in parts.parts or (parts.parts and ":" in parts.parts[0]):
            raise GraderError(
                f"{path}: entry {name!r} is an absolute path or leaves the zip with '..'"
            )


def _package_root(
    folder: Path, homework: Homework, staging: Path, *, origin: Path, from_zip: bool
) -> Path:
    package = homework.package
    candidate = folder / package
    if candidate.is_dir() and not candidate.is_symlink():
        return folder
    modules = {Path(rel).name for rel in homework.whitelist()}
    if folder.name == package or any((folder / m).is_file() for m in modules):
        return _as_package(folder, homework, staging)
    entries = [
        e for e in folder.iterdir() if e.name not in _IGNORED_TOP and not e.name.startswith(".")
    ]
    folders = sorted(e.name for e in entries if e.is_dir() and not e.is_symlink())
    if from_zip and len(folders) > 1:
        shown = ", ".join(folders[:5])
        raise GraderError(
            f"{origin}: the zip holds several top-level folders ({shown}); "
            f"zip only your {package}/ folder"
        )
    if from_zip and len(folders) == 1:
        return _package_root(folder / folders[0], homework, staging, origin=origin, from_zip=False)
    expected = ", ".join(sorted(modules))
    raise GraderError(
        f"{origin}: no {package}/ package found (expected a {package}/ folder with {expected})"
    )


def _as_package(folder: Path, homework: Homework, staging: Path) -> Path:
    """Copy a bare package directory's whitelisted files to `staging/<package>/`."""
    root = staging / "package"
    prefix = homework.package + "/"
    inner = [rel[len(prefix) :] for rel in homework.whitelist() if rel.startswith(prefix)]
    sandbox.prepare_scratch(folder, inner, root / homework.package)
    return root
