"""Atomic writes for batch outputs that the TA group can read (the umask decides, not 0600).

`tempfile.mkstemp` creates files 0600 whatever the umask, and a rename keeps that mode;
gradebooks, feedback and the journal are meant to be shared with co-TAs, so each file
gets the mode an ordinary `open(..., "w")` would give it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from grader.formatters import write_atomic


def current_umask() -> int:
    """The process umask, read without changing it where /proc allows (thread-safe)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_text(path: Path, text: str) -> Path:
    """Write via a temp file in the same folder and a rename; mode 0666 & ~umask (the
    course staff share a batch's outputs)."""
    return write_atomic(path, text, mode=0o666 & ~current_umask())


def write_json(path: Path, data: Any) -> Path:
    return write_text(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")
