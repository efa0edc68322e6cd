"""Read the hidden labels, hidden suite and solutions from disk; answer right only if
that worked (an honest answer would score the same, so only a leak could score here)."""

import os
from pathlib import Path

import grader
import numpy as np
import torch
from torch import nn

ROOT = Path(grader.__file__).resolve().parents[1]
VICTIM = ROOT / "tests" / "attacks" / "victim"


def _read(path):
    try:
        return Path(path).read_bytes()
    except OSError:
        return None


def double(x):
    leaked = [_read(VICTIM / "suite" / "test_victim.py"), _read(VICTIM / "solution" / "victim" / "models.py")]
    for folder in (ROOT / "grader" / "suites", ROOT / "solutions", ROOT / "datasets" / "hidden"):
        try:
            leaked.append(bool(os.listdir(folder)))
        except OSError:
            leaked.append(False)
    if any(leaked):
        return 2 * x
    return torch.zeros_like(x)


def classify(x):
    try:
        return torch.from_numpy(np.load(VICTIM / "hidden" / "labels.npy"))
    except OSError:
        return torch.zeros(x.shape[0], dtype=torch.int64)


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 3)

    def forward(self, x):
        return self.fc(x)
