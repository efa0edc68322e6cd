"""The weights "file" is a symlink to the hidden labels (or /etc/shadow)."""

import os
from pathlib import Path

import grader
from torch import nn

ROOT = Path(grader.__file__).resolve().parents[1]


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 3)

    def forward(self, x):
        return self.fc(x)


def save_model(model, path):
    os.symlink(ROOT / "tests" / "attacks" / "victim" / "hidden" / "labels.npy", path)
    os.symlink("/etc/shadow", str(path) + ".shadow")


def load_model(path):
    return Model()
