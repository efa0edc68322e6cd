"""Cancel and ignore every timer and polite signal, then loop forever."""

import signal

import torch
from torch import nn

signal.alarm(0)
for sig in (signal.SIGALRM, signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGXCPU):
    signal.signal(sig, signal.SIG_IGN)
signal.setitimer(signal.ITIMER_REAL, 0)


def double(x):
    while True:
        signal.alarm(0)


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 3)

    def forward(self, x):
        return self.fc(x)
