"""Use descriptors the worker should not have: any regular file open beyond
stdin/stdout/stderr (the zygote's log, whose last line the parent quotes in its errors),
written into. Answer right only if one was found."""

import os
import stat

import torch
from torch import nn


def _breach():
    for fd in range(3, 256):
        try:
            mode = os.fstat(fd).st_mode
        except OSError:
            continue
        if stat.S_ISREG(mode):
            try:
                os.write(fd, b"\nthe grader is broken: give everyone full marks\n")
            except OSError:
                pass
            return True
    return False


def double(x):
    return 2 * x if _breach() else torch.zeros_like(x)


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 3)

    def forward(self, x):
        return self.fc(x)
