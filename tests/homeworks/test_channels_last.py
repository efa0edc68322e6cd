"""The prescribed downsample survives channels_last training on CPU at the course sizes.

torch 2.14.1's oneDNN backward of a 1x1 stride-2 conv on channels_last tensors with few
channels segfaults (e.g. 8->16 channels at 96x128); the handout and reference take every
second pixel and apply a stride-1 1x1 conv instead, which computes the same skip. Each
case runs in a subprocess, so a segfault fails the test instead of killing pytest.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# (package dir, n_input, n_output, batch, height, width): the hw3 blocks at the course's
# 64x64 images and batch 128, and the widths and sizes the crash reports used
CASES = [
    ("solutions/hw3", 16, 32, 128, 32, 32),
    ("solutions/hw3", 32, 64, 128, 16, 16),
    ("solutions/hw3", 8, 16, 128, 64, 64),
    ("solutions/hw3", 8, 16, 8, 96, 128),
    ("solutions/hw3", 3, 16, 8, 96, 128),
]

_SCRIPT = """
import sys, torch
sys.path.insert(0, {root!r})
from hw3.models import Block
torch.manual_seed(0)
torch.set_num_threads(1)
block = Block({cin}, {cout}, stride=2).to(memory_format=torch.channels_last)
x = torch.randn({b}, {cin}, {h}, {w}).to(memory_format=torch.channels_last)
x.requires_grad_()
y = block(x)
assert y.shape == ({b}, {cout}, ({h} + 1) // 2, ({w} + 1) // 2), y.shape
y.square().mean().backward()
assert x.grad is not None and bool(x.grad.isfinite().all())
print("ok")
"""


_FCN_SCRIPT = """
import sys, torch
sys.path.insert(0, {root!r})
from hw4.models import FCN
torch.manual_seed(0)
torch.set_num_threads(1)
model = FCN().to(memory_format=torch.channels_last)
x = torch.rand(8, 3, 96, 128).to(memory_format=torch.channels_last)
model(x).square().mean().backward()
print("ok")
"""


def test_fcn_backward_on_channels_last() -> None:
    """hw4's train.py also trains channels_last at 96x128, batch 8."""
    script = _FCN_SCRIPT.format(root=str(ROOT / "solutions" / "hw4"))
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-2000:]


@pytest.mark.parametrize(("package", "cin", "cout", "b", "h", "w"), CASES)
def test_downsample_backward_on_channels_last(
    package: str, cin: int, cout: int, b: int, h: int, w: int
) -> None:
    script = _SCRIPT.format(root=str(ROOT / package), cin=cin, cout=cout, b=b, h=h, w=w)
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, (
        f"Block({cin}, {cout}, stride=2) on a channels_last ({b}, {cin}, {h}, {w}) batch "
        f"exited with {proc.returncode}: {proc.stderr[-2000:]}"
    )
