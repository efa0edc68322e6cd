"""Moving files across the trust boundary without following links.

- prepare_scratch: submission -> worker (whitelisted regular files only).
- read_worker_file: worker -> parent (no links anywhere on the path, regular file, capped).
- write_atomic (re-exported from grader.formatters, the one place that writes reports):
  temp file + rename, so results.json is never half-written and a planted symlink at its
  path is replaced, never written through.
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
from pathlib import Path
from typing import Literal

from grader.errors import InvalidValue
from grader.formatters import write_atomic

__all__ = ["prepare_scratch", "read_worker_file", "write_atomic"]


def prepare_scratch(submission_dir: Path, whitelist: list[str], dest: Path) -> Path:
    """Copy only the whitelisted regular files of the submission into `dest`.

    Links are never followed: a whitelisted name that is a symlink, or lives under a
    symlinked folder, is skipped, as is anything that is not a regular file (a FIFO would
    block the copy). conftest.py, sitecustomize.py, *.pth, torch.py and the like are simply
    not on the whitelist, so they never reach the worker.
    """
    submission_dir = Path(submission_dir)
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    for rel in whitelist:
        if Path(rel).is_absolute() or ".." in Path(rel).parts:
            raise ValueError(f"whitelist entry {rel!r} must be a relative path inside the package")
        src = submission_dir / rel
        if not _is_plain_file_under(src, submission_dir):
            continue
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, target, follow_symlinks=False)
    return dest


def _is_plain_file_under(path: Path, root: Path) -> bool:
    current = root
    for part in path.relative_to(root).parts:
        current = current / part
        if current.is_symlink():
            return False
    try:
        return stat.S_ISREG(path.lstat().st_mode)
    except OSError:
        return False


def read_worker_file(
    path: str | Path,
    *,
    max_bytes: int,
    expect: Literal["file"] = "file",
    root: str | Path = "/",
) -> bytes:
    """Read a file a worker wrote, trusting nothing about it.

    Every component below `root` is opened with O_NOFOLLOW (a symlink anywhere fails), the
    final one must be a regular file (not a FIFO or device) of at most `max_bytes`. Raises
    InvalidValue with a message safe to show the student.
    """
    if expect != "file":
        raise ValueError(f"expect={expect!r}: only 'file' (a regular file) is supported")
    path, root = Path(path), Path(root)
    try:
        rel = path.relative_to(root) if path.is_absolute() else path
    except ValueError:
        raise ValueError(f"{path} is not under {root}") from None
    name = rel.as_posix()
    if not rel.parts or ".." in rel.parts:
        raise InvalidValue(f"{name}: not a plain relative path")
    base = root if path.is_absolute() else Path.cwd()
    dir_fd = os.open(base, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for part in rel.parts[:-1]:
            try:
                nxt = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=dir_fd)
            except OSError as exc:
                raise InvalidValue(f"{name}: {_why(exc)}") from None
            os.close(dir_fd)
            dir_fd = nxt
        try:
            fd = os.open(rel.parts[-1], os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=dir_fd)
        except OSError as exc:
            raise InvalidValue(f"{name}: {_why(exc)}") from None
    finally:
        os.close(dir_fd)
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fh.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise InvalidValue(f"{name}: not a regular file")
        if st.st_size > max_bytes:
            raise InvalidValue(f"{name}: {st.st_size} bytes, more than the {max_bytes} allowed")
        data = fh.read(max_bytes + 1)  # the file may grow after fstat
    if len(data) > max_bytes:
        raise InvalidValue(f"{name}: more than the {max_bytes} bytes allowed")
    return data


def _why(exc: OSError) -> str:
    if exc.errno in (errno.ELOOP, errno.ENOTDIR):
        return "is or goes through a symbolic link (the grader does not follow links)"
    if exc.errno == errno.ENOENT:
        return "does not exist"
    return f"cannot be read ({exc.strerror})"
