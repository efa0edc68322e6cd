"""Pure functions from a `GradeReport` to what people and machines read, plus the one
place that writes report files (atomically, so a reader never sees half a file)."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from grader.text import safe_data

__all__ = ["write_atomic", "write_json_atomic"]


def write_atomic(path: str | os.PathLike[str], text: str, *, mode: int | None = None) -> Path:
    """Write `text` to `path` via a temporary file in the same folder and a rename, so a
    reader never sees half a file. `mode`: the file's permissions (default 0600)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        if mode is not None:
            os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def write_json_atomic(path: str | os.PathLike[str], data: Any) -> Path:
    """Write `data` as JSON, every string escaped by `safe_text`: a student's control
    characters or lone surrogates can neither break the UTF-8 file nor a reader's terminal."""
    return write_atomic(path, json.dumps(safe_data(data), indent=2, ensure_ascii=False) + "\n")
