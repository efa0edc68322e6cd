"""`grader bundle HW`: zip the student's package for upload, after checking it.

The zip holds `<package>/...` at its root: what `grader grade HW bundle.zip` and the
Gradescope autograder expect. Before writing it, the package must
- fit the size cap once caches, data, weights and logs are left out (the message names
  the biggest files), and
- import from the files the grader uses (the whitelist) in a sandboxed worker of the
  engine (an isolated `python -I` subprocess where the engine cannot run), so a syntax
  error, a missing helper module or a top-level crash is caught before the upload.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from grader.errors import GraderError, StudentCodeError
from grader.homeworks import Homework
from grader.sandbox import prepare_scratch, worker_env

__all__ = ["DEFAULT_MAX_BYTES", "BundleInfo", "bundle", "find_package_dir"]

DEFAULT_MAX_BYTES = 2_000_000  # the package is source code; data and weights stay out
IMPORT_TIMEOUT_S = 60.0
SKIP_DIRS = {
    "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".ipynb_checkpoints",
    ".git", ".venv", "venv", "data", "datasets", "logs", "runs", "lightning_logs", "wandb",
    "checkpoints",
}  # fmt: skip
SKIP_SUFFIXES = (
    ".pyc", ".pyo", ".log", ".npy", ".npz", ".pt", ".pth", ".ckpt", ".safetensors", ".bin",
    ".h5", ".pkl", ".pickle", ".zip", ".tar", ".gz",
)  # fmt: skip
SKIP_NAMES = {".DS_Store", "Thumbs.db"}
FIXED_TIME = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class BundleInfo:
    path: Path
    size_bytes: int  # of the zip
    files: list[str]  # names in the zip
    warnings: list[str] = field(default_factory=list)  # things the student should know


def bundle(
    homework: Homework,
    *,
    package_dir: str | Path | None = None,
    out: str | Path | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    import_timeout_s: float = IMPORT_TIMEOUT_S,
) -> BundleInfo:
    """Check the package and write the zip (default `dist/<hw>-submission.zip`)."""
    package = find_package_dir(homework, Path(package_dir or homework.starter_dir))
    files = _collect(package)
    total = sum(size for _, _, size in files)
    if total > max_bytes:
        biggest = sorted(files, key=lambda f: -f[2])[:3]
        listing = ", ".join(f"{name} ({size / 1e6:.2f} MB)" for name, _, size in biggest)
        raise GraderError(
            f"{package} holds {total / 1e6:.2f} MB of files, over the {max_bytes / 1e6:.2f} MB "
            f"cap; biggest: {listing}. Move data, weights and outputs out of the package."
        )
    names = {name for name, _, _ in files}
    whitelist = homework.whitelist()
    warnings = [
        f"{name} is not a file of the starter; the grader ignores it"
        for name in sorted(names)
        if name.endswith(".py") and name not in whitelist
    ]
    warnings += [f"{name} is missing; the grader will use the starter's" for name in whitelist
                 if name not in names]  # fmt: skip
    _check_imports(homework, package.parent, import_timeout_s)
    target = Path(out) if out else Path("dist") / f"{homework.name}-submission.zip"
    _write_zip(target, files)
    return BundleInfo(target, target.stat().st_size, sorted(names), warnings)


def find_package_dir(homework: Homework, folder: Path) -> Path:
    """`folder` if it is the package itself, else `folder/<package>`."""
    if folder.name == homework.package and (folder / "__init__.py").is_file():
        return folder
    inner = folder / homework.package
    if (inner / "__init__.py").is_file():
        return inner
    raise GraderError(
        f"no {homework.package} package in {folder} (expected {inner}/__init__.py); "
        f"pass --dir with the folder that holds {homework.package}/"
    )


def _collect(package: Path) -> list[tuple[str, Path, int]]:
    """(name in the zip, file, size) of what to upload: no caches, data, weights or logs."""
    found = []
    for dirpath, dirnames, filenames in os.walk(package):
        here = Path(dirpath)
        dirnames[:] = sorted(
            d for d in dirnames if d not in SKIP_DIRS and not (here / d).is_symlink()
        )
        for name in sorted(filenames):
            path = here / name
            skip = name in SKIP_NAMES or name.endswith(SKIP_SUFFIXES)
            if skip or name.startswith("events.out.tfevents") or path.is_symlink():
                continue
            if path.is_file():
                rel = path.relative_to(package.parent).as_posix()
                found.append((rel, path, path.stat().st_size))
    return found


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


def _write_zip(target: Path, files: list[tuple[str, Path, int]]) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, path, _ in files:
                info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o100644 << 16
                archive.writestr(info, path.read_bytes())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
