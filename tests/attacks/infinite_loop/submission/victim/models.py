"""Spin forever; Model is honest (control)."""

from torch import nn


def double(x):
    while True:
        pass


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 3)

    def forward(self, x):
        return self.fc(x)
