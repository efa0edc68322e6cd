"""`python -m grader.bench --only compare`: the four-way table, the in-process stand-in it
compares against, and the training-loop measurement (figures themselves: `make bench`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch
from torch import nn

from grader.bench._inprocess import LocalModule, LocalPackage
from grader.bench._train_rate import step_rate

ROOT = Path(__file__).resolve().parents[1]
WAYS = ("(a) engine", "(b) in-process pytest", "(c) pytest-forked", "(d) python -c per test")
RATIOS = ("(a) engine / (b)", "(c) forked / (b)", "(d) subprocesses / (b)")


@pytest.mark.slow  # seven fresh interpreters import torch
def test_quick_compare_prints_the_four_ways_and_their_ratios(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    env = {**os.environ, "GRADER_BENCH_QUICK": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "grader.bench", "--only", "compare", "--out", str(out)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    figures = json.loads(out.read_text())["areas"]["compare"]
    assert isinstance(figures, list), figures  # a string here is the error that stopped it
    by_name = {f["name"]: f for f in figures}

    def rows(prefix: str, unit: str) -> list[dict[str, object]]:
        return [f for n, f in by_name.items() if n.startswith(prefix) and f["unit"] == unit]

    for way in WAYS:
        wall, cpu = rows(f"hw1: {way}", "s")  # the wall clock, then the CPU time
        assert "CPU time" in str(cpu["name"]) and "CPU time" not in str(wall["name"])
        assert float(wall["value"]) > 0 and float(cpu["value"]) > 0  # type: ignore[arg-type]
    for ratio in RATIOS:
        (row,) = rows(f"hw1: {ratio}", "x")
        assert float(row["value"]) > 0  # type: ignore[arg-type]
    engine = next(f for n, f in by_name.items() if n.startswith("hw1: (a) engine / (b)"))
    assert engine["target"] == "<= 1.1"
    table = proc.stdout.splitlines()
    assert sum("hw1: (" in line and line.startswith("compare") for line in table) >= 8


def test_stand_in_returns_copies_like_the_pipe() -> None:
    """A state_dict kept by a test must not move when the model trains on (hw3 Task 2.6)."""
    model = LocalModule(nn.Sequential(nn.Linear(3, 3), nn.BatchNorm1d(3))).train()
    before = model.state_dict()
    out = model(torch.randn(8, 3) * 5 + 2)
    assert not out.requires_grad
    after = model.state_dict()
    assert not torch.equal(before["1.running_mean"], after["1.running_mean"])
    assert model.parameter_count() == 3 * 3 + 3 + 3 + 3
    assert [s.torch_type for s in model.submodules()] == ["Linear", "BatchNorm1d"]
    grads = model.eval().gradients(torch.ones(2, 3))
    assert grads.inputs[0] is not None and tuple(grads.inputs[0].shape) == (2, 3)
    assert set(grads.params) == {"0.weight", "0.bias", "1.weight", "1.bias"}


def test_stand_in_imports_the_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pkg = tmp_path / "benchpkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "models.py").write_text(
        "import torch\n\nclass Twice(torch.nn.Module):\n"
        "    def forward(self, x):\n        return 2 * x\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    student = LocalPackage("benchpkg", tmp_path)
    model = student.models.Twice()
    assert isinstance(model, LocalModule) and model.remote_type == "benchpkg.models.Twice"
    assert torch.equal(model(torch.ones(2)), torch.full((2,), 2.0))
    with pytest.raises(AttributeError):
        student.models.Missing  # noqa: B018


_TOY_TRAIN = """
import time
import torch
from torch import nn

def train(*, data_dir, device="cpu", time_budget_s=60.0, seed=0):
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 4))
    loss_fn = nn.CrossEntropyLoss()  # a module without parameters: not the model
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    x, y = torch.randn(128, 256), torch.randint(0, 4, (128,))
    for _ in range(50):
        {data_path}
        loss = loss_fn(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return model
"""


def _toy(root: Path, name: str, sleep: float) -> Path:
    # no sleep(0) for the fast loop: on a busy machine that gives the core away
    data_path = f"time.sleep({sleep})" if sleep else "pass"
    (root / name).mkdir(parents=True)
    (root / name / "__init__.py").write_text("")
    (root / name / "train.py").write_text(_toy_source(data_path))
    return root


def _toy_source(data_path: str) -> str:
    return textwrap.dedent(_TOY_TRAIN).format(data_path=data_path)


def test_training_rate_sees_a_slow_data_path(tmp_path: Path) -> None:
    slow = step_rate(_toy(tmp_path / "a", "toy_slow_loop", 0.2), "toy_slow_loop", "", 1)
    fast = step_rate(_toy(tmp_path / "b", "toy_fast_loop", 0.0), "toy_fast_loop", "", 1)
    assert slow.reference_step_s >= 0.2
    assert slow.efficiency < 0.25  # 200 ms of waiting per step against a step of a few ms
    # the same loop without the wait: far closer to the bare loop (loose: the machine is shared)
    assert fast.efficiency > 3 * slow.efficiency
    assert slow.threads == 1


def test_training_rate_says_when_train_stops_early(tmp_path: Path) -> None:
    root = tmp_path / "c" / "toy_short_loop"
    root.mkdir(parents=True)
    (root / "__init__.py").write_text("")
    (root / "train.py").write_text(_toy_source("pass").replace("range(50)", "range(3)"))
    with pytest.raises(RuntimeError, match="returned after 3 optimizer steps"):
        step_rate(tmp_path / "c", "toy_short_loop", "", 1)
