"""Where generated data lives: the public root and the instructor-only hidden root."""

from __future__ import annotations

import os
from pathlib import Path

# datasets/coursedata/paths.py -> datasets/
_DATASETS_DIR = Path(__file__).resolve().parents[1]


def default_root() -> Path:
    """`$COURSEDATA_DIR`, else `<repo>/datasets/data` (inputs, train/valid labels)."""
    env = os.environ.get("COURSEDATA_DIR")
    return Path(env) if env else _DATASETS_DIR / "data"


def default_hidden_root() -> Path:
    """`$COURSEDATA_HIDDEN_DIR`, else `<repo>/datasets/hidden` (test labels; grader only)."""
    env = os.environ.get("COURSEDATA_HIDDEN_DIR")
    return Path(env) if env else _DATASETS_DIR / "hidden"


def checksums_path() -> Path:
    """The committed sha256 of every split file made from the public and the dev seeds."""
    return _DATASETS_DIR / "checksums.json"


def sources_path() -> Path:
    """The optional instructor file naming real-data sources (see coursedata.sources)."""
    return _DATASETS_DIR / "sources.json"
