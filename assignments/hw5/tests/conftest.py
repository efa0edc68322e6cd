"""Put the homework package first on sys.path so `import hw5` finds the code under test.

By default that is this assignment folder (your code). The course's own tests set
PUBLIC_TESTS_TARGET to another folder holding an hw5/ package (the reference solution)
to check that these tests pass on it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
import torch

_target = Path(os.environ.get("PUBLIC_TESTS_TARGET", Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(_target.resolve()))

# The models here are tiny and step through their sequences one position at a time: a
# second thread saves nothing, and on a busy machine two threads mostly wait for each other.
torch.set_num_threads(1)


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The course data root; tests that need the text are skipped until `make data`."""
    coursedata = pytest.importorskip("coursedata")
    root = Path(coursedata.default_root())
    if not (root / "sequences" / "train_tokens.npy").is_file():
        pytest.skip(f"no sequence data in {root}: run `make data` from the course folder first")
    return root
