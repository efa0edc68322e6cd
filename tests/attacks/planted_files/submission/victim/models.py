"""Wrong answers, plus planted conftest/sitecustomize/.pth/ini files and shadow modules
(see the files beside this package) that would force a pass if anything honoured them."""

import torch
from torch import nn


def double(x):
    return 3 * x


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 3)

    def forward(self, x):
        return self.fc(x)
