"""A tiny homework (`timetoy`) for testing timed training end to end in seconds.

`make_toy(dest, suite)` lays it out as a real homework (hidden suites are stored as
`suite/hidden_<name>.py`, so the project's own pytest run never collects them, and copied
to `test_<name>.py` where the engine expects a hidden suite). `make_data(root, hidden_root)`
writes a small "images" dataset in the coursedata layout: three classes told apart by which
colour channel is bright, so a 12-parameter model learns it in a few hundred steps.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

from grader.homeworks import Homework

HERE = Path(__file__).resolve().parent
NUM_CLASSES = 3
SIZES = {"train": 96, "test": 48}


def shared_cache_dir(base_temp: Path) -> Path:
    """One calibration cache for all the timing tests of a pytest session, so each thread
    count is measured once (pass `tmp_path_factory.getbasetemp()`)."""
    return base_temp / "grader-timing-cache"


def make_toy(dest: Path, suite: str = "timing") -> Homework:
    """Copy the toy homework into `dest` with the hidden suite `suite/hidden_<suite>.py`
    ("timing" or "determinism") and describe it."""
    dest.mkdir(parents=True, exist_ok=True)
    for part in ("starter", "solution"):
        shutil.copytree(HERE / part, dest / part, ignore=shutil.ignore_patterns("__pycache__"))
    (dest / "suite").mkdir()
    shutil.copyfile(HERE / "suite" / f"hidden_{suite}.py", dest / "suite" / f"test_{suite}.py")
    return Homework(
        name="timetoy",
        package="timetoy",
        starter_dir=dest / "starter",
        suite_dir=dest / "suite",
        solution_dir=dest / "solution",
    )


@contextmanager
def toy_environment(base_temp: Path) -> Iterator[None]:
    """The toy's data in place (COURSEDATA_DIR, COURSEDATA_HIDDEN_DIR) and the shared
    calibration cache (GRADER_CACHE_DIR) for the duration of the block.

    The data lives under the system temp dir, readable by the sandbox's unprivileged user
    (pytest's tmp folders are private to the user running the tests).
    """
    from grader import training

    data_root = Path(tempfile.mkdtemp(prefix="grader-timing-toy-"))
    data_root.chmod(0o755)
    make_data(data_root / "data", data_root / "hidden")
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("COURSEDATA_DIR", str(data_root / "data"))
            patch.setenv("COURSEDATA_HIDDEN_DIR", str(data_root / "hidden"))
            patch.setenv("GRADER_CACHE_DIR", str(shared_cache_dir(base_temp)))
            patch.setattr(training, "_calibrations", {})
            yield
    finally:
        shutil.rmtree(data_root, ignore_errors=True)


def make_data(root: Path, hidden_root: Path, seed: int = 0) -> None:
    """Public splits under `root/images/`, the test labels under `hidden_root/images/`."""
    rng = np.random.default_rng(seed)
    (root / "images").mkdir(parents=True, exist_ok=True)
    (hidden_root / "images").mkdir(parents=True, exist_ok=True)
    for split, n in SIZES.items():
        labels = rng.integers(0, NUM_CLASSES, size=n).astype(np.int64)
        pixels = rng.integers(0, 110, size=(n, 3, 64, 64))  # (N, C, H, W), dark everywhere
        pixels[np.arange(n), labels] += 140  # ... except the channel named by the label
        np.save(root / "images" / f"{split}_images.npy", pixels.astype(np.uint8))
        target = hidden_root if split == "test" else root
        np.save(target / "images" / f"{split}_labels.npy", labels)
