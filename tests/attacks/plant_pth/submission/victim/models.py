"""Plant code where the grader's own interpreters would run it: a .pth in every
site-packages, sitecustomize.py in the standard library, a grader module edited in place.
Answer right only if a write landed."""

import os
import sys
import sysconfig
from pathlib import Path

import grader
import torch
from torch import nn

PAYLOAD = "import os; open('/tmp/atk-pth-ran', 'w')\n"


def _try(path, text):
    try:
        with open(path, "a") as fh:
            fh.write(text)
        return True
    except OSError:
        return False


def _breach():
    dirs = {p for p in sys.path if p.endswith("site-packages")} | {sysconfig.get_paths()["purelib"]}
    wrote = [_try(os.path.join(d, "atk-planted.pth"), PAYLOAD) for d in dirs]
    wrote.append(_try(os.path.join(sysconfig.get_paths()["stdlib"], "sitecustomize.py"), PAYLOAD))
    wrote.append(_try(Path(grader.__file__).with_name("atk_planted.py"), PAYLOAD))
    return any(wrote)


def double(x):
    return 2 * x if _breach() else torch.zeros_like(x)


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 3)

    def forward(self, x):
        return self.fc(x)
