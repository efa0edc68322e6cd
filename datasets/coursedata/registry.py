"""The embedded datasets: name -> generator module, version, splits and hidden arrays."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType

import numpy as np

from coursedata import images, segmentation, sequences
from coursedata.errors import DatasetError

Tick = Callable[[int], None]
PUBLIC_SEED = 20261123  # train/valid are the same everywhere; test comes from the hidden seed


@dataclass(frozen=True)
class DatasetSpec:
    """How one embedded dataset is generated and which arrays of its test split are hidden."""

    name: str
    version: int
    split_sizes: dict[str, int]
    keys: tuple[str, ...]  # the arrays of every split, e.g. ("images", "labels")
    hidden_keys: tuple[str, ...]
    build: Callable[[int, np.random.Generator, Tick | None], dict[str, np.ndarray]]

    def rng(self, split: str, seed: int) -> np.random.Generator:
        """An independent PCG64 stream per (dataset, version, split, seed)."""
        entropy = [_stable_int(self.name), self.version, _stable_int(split), seed]
        return np.random.Generator(np.random.PCG64(np.random.SeedSequence(entropy)))


def _stable_int(text: str) -> int:
    """A 64-bit integer from text, the same in every process (unlike hash())."""
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")


def seed_to_int(seed: int | str) -> int:
    """The hidden seed may be any string (an instructor secret); ints are used as written."""
    text = str(seed).strip()
    if not text:
        raise DatasetError("the hidden seed is empty: set $GRADER_HIDDEN_SEED to a non-empty value")
    return int(text) if text.isdigit() else _stable_int("seed:" + text)


def seed_id(seed: int | str) -> str:
    """A fingerprint of the hidden seed to record next to the data (never the seed itself)."""
    return hashlib.sha256(f"coursedata-hidden-seed:{seed_to_int(seed)}".encode()).hexdigest()[:16]


def _spec(module: ModuleType, name: str) -> DatasetSpec:
    return DatasetSpec(
        name=name,
        version=module.VERSION,
        split_sizes=dict(module.SPLIT_SIZES),
        keys=tuple(module.KEYS),
        hidden_keys=tuple(module.HIDDEN_KEYS),
        build=module.generate,
    )


SPECS: dict[str, DatasetSpec] = {
    "images": _spec(images, "images"),
    "segmentation": _spec(segmentation, "segmentation"),
    "sequences": _spec(sequences, "sequences"),
}
DATASETS: tuple[str, ...] = tuple(SPECS)


def get_spec(name: str) -> DatasetSpec:
    try:
        return SPECS[name]
    except KeyError:
        raise DatasetError(
            f"unknown dataset {name!r}: choose one of {', '.join(DATASETS)}"
        ) from None
