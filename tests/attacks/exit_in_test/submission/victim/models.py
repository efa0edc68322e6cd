"""os._exit(0) and sys.exit(0) inside the graded calls; Model is honest (control)."""

import os
import sys

import torch
from torch import nn


def double(x):
    os._exit(0)


def classify(x):
    sys.exit(0)


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 3)

    def forward(self, x):
        return self.fc(x)
