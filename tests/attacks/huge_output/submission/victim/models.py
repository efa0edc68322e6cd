"""Return a 768 MiB tensor (and a deeply nested list) instead of the answer."""

import torch


def double(x):
    return torch.zeros(192 << 20)  # float32: 768 MiB


def classify(x):
    nested = []
    for _ in range(100_000):
        nested = [nested]
    return nested
