"""The toy homework of the engine's tests and its submissions (mutants of the solution)."""

from __future__ import annotations

import shutil
from pathlib import Path

from helpers import Mutant, make_mutant

from grader.homeworks import Homework

TOY_DIR = Path(__file__).resolve().parent / "toy"
TOY = Homework(
    name="toy",
    package="toyhw",
    starter_dir=TOY_DIR / "starter",
    suite_dir=TOY_DIR / "suite",
    solution_dir=TOY_DIR / "solution",
)

_FILE = "toyhw/models.py"
_SUM = "return scale * x.sum(dim=1)"
_FORWARD = "return self.fc(x)"

MUTANTS = {
    m.name: m
    for m in [
        Mutant("wrong", _FILE, _SUM, "return scale * x.mean(dim=1)", loses=("scaled_sum",)),
        Mutant("raising", _FILE, _FORWARD, 'raise ValueError("bad shape")', loses=("linear",)),
        Mutant("hanging", _FILE, _SUM, "while True:\n        pass", loses=("scaled_sum",)),
        Mutant("exiting", _FILE, _SUM, "import os\n    os._exit(3)", loses=("scaled_sum",)),
        Mutant(
            "segfault",
            _FILE,
            _SUM,
            "import ctypes\n    return ctypes.string_at(0)",
            loses=("scaled_sum",),
        ),
        Mutant(
            "printing",
            _FILE,
            _SUM,
            f'print("spam " * 400_000)\n    print(b"\\xff\\xfe".decode("latin-1"))\n    {_SUM}',
            loses=(),
        ),
        Mutant("syntax", _FILE, _FORWARD, "return self.fc(x", loses=("linear", "scaled_sum")),
        Mutant(
            "missing", _FILE, "class LinearClassifier(", "class LinearClassifer(", loses=("linear",)
        ),
    ]
}


def make_submission(name: str, dest: Path) -> Path:
    """A folder holding toyhw/: "solution", "starter", or one of MUTANTS."""
    if name == "solution":
        shutil.copytree(TOY.solution_dir, dest)
    elif name == "starter":
        shutil.copytree(TOY.starter_dir, dest)
    else:
        make_mutant(TOY.solution_dir, MUTANTS[name], dest)
    return dest
