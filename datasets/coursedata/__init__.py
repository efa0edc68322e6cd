"""Embedded course datasets: deterministic generators and torch loaders (see datasets/*.md).

Depends on numpy and torch only (never on `grader`). Typical use:

    coursedata.generate("images")                       # once; skips what is already there
    train = coursedata.ImageClassification(coursedata.default_root(), "train")

The torch loaders are imported lazily, so generating or checking data needs only numpy
(a `make data` re-run must not pay for importing torch).
"""

from __future__ import annotations

from typing import Any

from coursedata.errors import DatasetError
from coursedata.images import CLASSES as IMAGE_CLASSES
from coursedata.paths import default_hidden_root, default_root
from coursedata.registry import DATASETS
from coursedata.segmentation import CLASSES as SEGMENTATION_CLASSES
from coursedata.sequences import VOCAB, optimal_nll, source_entropy
from coursedata.store import check, generate, verify

_LAZY = {
    "ImageClassification": "coursedata.loaders",
    "Segmentation": "coursedata.loaders",
    "Sequences": "coursedata.loaders",
}

__all__ = [
    "DATASETS",
    "DatasetError",
    "IMAGE_CLASSES",
    "ImageClassification",
    "SEGMENTATION_CLASSES",
    "Segmentation",
    "Sequences",
    "VOCAB",
    "check",
    "default_hidden_root",
    "default_root",
    "generate",
    "optimal_nll",
    "source_entropy",
    "verify",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'coursedata' has no attribute {name!r}")
