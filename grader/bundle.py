"""`grader bundle HW`: zip the student's package for upload, after checking it.

The package is found in `--dir` by the same rules as every other path (grader.intake): a
folder holding `<package>/`, the package itself, a git checkout, a nested copy. The zip
holds `<package>/<file>` for each whitelisted file the upload provides, which is exactly
what `grader grade HW bundle.zip` and the Gradescope autograder will grade. Before writing
it, the files must
- fit the size cap (the message names the biggest files), and
- import from the files the grader uses (the whitelist) in a sandboxed worker of the
  engine (an isolated `python -I` subprocess where the engine cannot run), so a syntax
  error, a missing helper module or a top-level crash is caught before the upload.
Other .py files in the package are named in a warning: the grader never sees them.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from grader.engine.sandboxing import prepare_scratch, worker_env
from grader.errors import GraderError, StudentCodeError
from grader.homeworks import Homework
from grader.intake import NEVER_ENTERED, Submission, find_package, intake

__all__ = ["DEFAULT_MAX_BYTES", "BundleInfo", "bundle"]

DEFAULT_MAX_BYTES = 2_000_000  # the package is source code; data and weights stay out
IMPORT_TIMEOUT_S = 60.0
FIXED_TIME = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class BundleInfo:
    path: Path
    size_bytes: int  # of the zip
    files: list[str]  # names in the zip
    warnings: list[str] = field(default_factory=list)  # things the student should know
    from_starter: list[str] = field(default_factory=list)  # what the grader will fill in


def bundle(
    homework: Homework,
    *,
    package_dir: str | Path | None = None,
    out: str | Path | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    import_timeout_s: float = IMPORT_TIMEOUT_S,
) -> BundleInfo:
    """Check the package and write the zip (default `dist/<hw>-submission.zip`)."""
    upload = Path(package_dir or homework.starter_dir)
    with tempfile.TemporaryDirectory(prefix="grader-bundle-") as tmp:
        taken = intake(homework, upload, Path(tmp))
        files = [(rel, taken.root / rel) for rel in taken.provided]
        sizes = {rel: path.stat().st_size for rel, path in files}
        total = sum(sizes.values())
        if total > max_bytes:
            biggest = sorted(sizes, key=lambda rel: -sizes[rel])[:3]
            listing = ", ".join(f"{rel} ({sizes[rel] / 1e6:.2f} MB)" for rel in biggest)
            raise GraderError(
                f"{homework.package} holds {total / 1e6:.2f} MB of source, over the "
                f"{max_bytes / 1e6:.2f} MB cap; biggest: {listing}. Move data and weights "
                "out of the code."
            )
        warnings = [*taken.notes, *_ignored_sources(homework, upload, taken)]
        _check_imports(homework, taken.root, import_timeout_s)
        target = Path(out) if out else Path("dist") / f"{homework.name}-submission.zip"
        _write_zip(target, files)
    return BundleInfo(
        target, target.stat().st_size, sorted(taken.provided), warnings, list(taken.from_starter)
    )


def _ignored_sources(homework: Homework, upload: Path, taken: Submission) -> list[str]:
    """The package's .py files that are not on the whitelist: the grader never sees them."""
    if not upload.is_dir():
        return []
    package_dir, _ = find_package(homework, upload)
    extra = []
    for dirpath, dirnames, filenames in os.walk(package_dir):
        here = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if d not in NEVER_ENTERED)
        for name in sorted(filenames):
            rel = f"{homework.package}/{(here / name).relative_to(package_dir).as_posix()}"
            if name.endswith(".py") and rel not in homework.whitelist():
                extra.append(f"{rel} is not a file of the starter; the grader ignores it")
    return extra


def _check_imports(homework: Homework, root: Path, timeout_s: float) -> None:
    """Import every module of the whitelist from a scratch copy of the whitelisted files:
    in a sandboxed worker of the engine, or, where the engine cannot run (no fork on
    Windows, say), in an isolated `python -I` subprocess."""
    modules = sorted(
        Path(p).stem for p in homework.whitelist() if p.count("/") == 1 and "__init__" not in p
    )
    try:
        problem = _import_in_worker(homework, root, modules, timeout_s)
    except (ImportError, OSError, GraderError):
        problem = _import_in_subprocess(homework, root, modules, timeout_s)
    if problem:
        raise GraderError(
            f"{homework.package} does not import from its own files ("
            f"{', '.join(homework.whitelist())}): {problem}"
        )


def _import_in_worker(
    homework: Homework, root: Path, modules: list[str], timeout_s: float
) -> str | None:
    """None when every module imports; else the student-facing reason."""
    from grader.engine.session import GradingSession

    session = GradingSession(homework, root, device="cpu", threads=1)
    session.prefork = False  # one worker is all this check needs
    try:
        with session.spawn(time_limit_s=timeout_s) as student:
            for module in modules:
                getattr(student, module)
    except StudentCodeError as exc:
        return exc.student_message
    finally:
        session.close()
    return None


IMPORT_SCRIPT = """
import importlib, sys
sys.path.insert(0, sys.argv[1])
for name in sys.argv[2:]:
    importlib.import_module(name)
"""


def _import_in_subprocess(
    homework: Homework, root: Path, modules: list[str], timeout_s: float
) -> str | None:
    """The fallback: `python -I` (no user site, no PYTHON* variables) on a scratch copy."""
    names = [homework.package, *(f"{homework.package}.{m}" for m in modules)]
    with tempfile.TemporaryDirectory(prefix="grader-bundle-") as tmp:
        scratch = prepare_scratch(root, homework.whitelist(), Path(tmp) / "pkg")
        command = [sys.executable, "-I", "-c", IMPORT_SCRIPT, str(scratch), *names]
        try:
            done = subprocess.run(
                command, cwd=tmp, capture_output=True, text=True, timeout=timeout_s,
                env=worker_env(1),
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            return f"importing took more than {timeout_s:g} s (does a module train on import?)"
    if done.returncode == 0:
        return None
    lines = done.stderr.strip().splitlines()
    return lines[-1] if lines else f"python exited with status {done.returncode}"


def _write_zip(target: Path, files: list[tuple[str, Path]]) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, path in files:
                info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o100644 << 16
                archive.writestr(info, path.read_bytes())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
