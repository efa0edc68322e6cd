"""Allocate and touch memory until something stops it; Model is honest (control)."""

import torch
from torch import nn


def double(x):
    hoard = []
    while True:
        hoard.append(torch.ones(64 << 20, dtype=torch.uint8))  # 64 MiB, touched


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 3)

    def forward(self, x):
        return self.fc(x)
