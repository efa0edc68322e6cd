"""Timed training and evaluation for hidden suites (see docs/timing.md).

    @pytest.fixture(scope="module")
    def trained(grader_session):
        result = train_student(grader_session, budget_units=48)
        yield result
        result.close()

    def test_accuracy(trained, set_score):
        accuracy = evaluate_classifier(trained)      # labels never leave the parent
        set_score(band_points(accuracy, low=0.5, high=0.8, points=10))

The student's train entry point runs in its own sandboxed worker with the public data
root, the device, its budget in seconds (reference units converted by this machine's
calibration) and a fresh log directory. On a CPU the budget is CPU time of the worker's
process tree, which other processes on a busy machine cannot spend; on a GPU it is wall
time. The parent kills the worker past the budget plus 10 % grace plus a small start-up
slack. Evaluation (`predict` on a split) is charged to the same budget: a model cannot
buy more training by working inside `predict`.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch

from grader.engine.remote import RemoteModule, RemoteObject, RemotePackage
from grader.errors import GraderSideFailure, InvalidValue, StudentCodeError, WorkerTimeout
from grader.timing import Calibration, calibrate, device_type

__all__ = [
    "TrainedModel",
    "TrainingFailed",
    "TrainingStats",
    "budget_note",
    "calibration_for",
    "evaluate_classifier",
    "load_targets",
    "predict_split",
    "train_student",
]

GRACE = 0.10  # past the budget by more than this fraction, training is stopped
# Seconds past the grace for start-up on a reference-speed machine: the request's round trip,
# the first torch.optim import (about 1.5 s), the CUDA context and cuDNN set-up.
STARTUP_SLACK_S = {"cpu": 2.0, "mps": 5.0, "cuda": 10.0}
IMPORT_LIMIT_S = 60.0  # importing the student's train module, before the clock starts
# Reference units every evaluation pass may use on top of what is left of the training
# budget: the references' forward passes over a test split cost 0.1-2 units.
EVAL_UNITS = 10.0
# dataset -> the file stem of its targets, as coursedata lays them out (contracts section 4)
TARGET_STEMS = {"images": "labels", "segmentation": "masks", "sequences": "tokens"}
INPUT_STEMS = {"images": "images", "segmentation": "images", "sequences": "tokens"}


class TrainingFailed(StudentCodeError):
    """Training did not produce a model; every test that needs it scores 0 with this."""


class TrainingStopped(GraderSideFailure):
    """Training was stopped for a reason that is not the student's (an overloaded machine):
    every test that needs the model scores 0 and the run is marked for a regrade."""


class Session(Protocol):
    """What training needs from `grader_session` (grader.engine.session.GradingSession)."""

    device: str
    threads: int
    data_dir: Path
    hidden_dir: Path

    def spawn(self, time_limit_s: float | None = None, *, seed: int = 0) -> RemotePackage: ...

    def exchange_dir(self) -> Path: ...

    def note(self, text: str) -> None: ...


@dataclass
class TrainingStats:
    device: str
    threads: int
    budget_units: float
    budget_s: float  # what the student's code was told (time_budget_s), in `unit`
    limit_s: float  # when the worker is killed: budget + grace + start-up slack, in `unit`
    speed: float  # this machine against the reference
    unit: str = "s"  # "CPU s" (CPU time of the worker's tree) or "s" (wall time, GPUs)
    time_used_s: float | None = None  # of `train`, in `unit`
    wall_s: float | None = None  # of `train`, on the clock
    eval_used_s: float | None = None  # every evaluation pass since, in `unit`
    peak_memory_mb: float | None = None
    peak_memory_source: str = ""  # "VmHWM" (resident set of the worker) or "" if unknown
    eval_samples_per_s: float | None = None

    def summary(self) -> str:
        """ "training used 12.3 CPU s of its 48 CPU s budget (8.1 s on the clock); peak
        memory 812 MB"."""
        used = "?" if self.time_used_s is None else f"{self.time_used_s:.1f}"
        text = f"training used {used} {self.unit} of its {_fmt(self.budget_s)} {self.unit} budget"
        if self.wall_s is not None and self.unit != "s":
            text += f" ({self.wall_s:.1f} s on the clock)"
        if self.peak_memory_mb is not None:
            text += f"; peak memory {self.peak_memory_mb:.0f} MB"
        if self.eval_samples_per_s is not None:
            text += f"; evaluation {self.eval_samples_per_s:.0f} samples/s"
        return text

    def as_extra_data(self) -> dict[str, Any]:
        """Rounded, JSON-ready figures for a test's extra_data."""
        return {k: round(v, 3) if isinstance(v, float) else v for k, v in asdict(self).items()}


@dataclass
class TrainedModel:
    model: RemoteModule | None  # in the training worker, None when training failed
    failure: str | None  # student-facing reason, None on success
    failure_is_grader_side: bool = field(default=False, init=False)  # e.g. overloaded machine
    log_dir: Path
    stats: TrainingStats
    data_dir: Path
    hidden_dir: Path
    worker: RemotePackage | None = field(default=None, repr=False)  # kept for evaluation
    note: Callable[[str], None] | None = field(default=None, repr=False)  # session.note

    def require(self, record_property: Callable[[str, Any], None] | None = None) -> RemoteModule:
        """The trained RemoteModule, or `TrainingFailed` (the test scores 0 with `.failure`).

        Pass pytest's `record_property` fixture to put `stats` into the test's extra_data
        (key "training"), failed or not.
        """
        if record_property is not None:
            record_property("training", self.stats.as_extra_data())
        if self.model is None:
            if self.failure_is_grader_side:
                raise TrainingStopped(self.failure or "training was stopped by the grader")
            raise TrainingFailed(self.failure or "training did not produce a model")
        return self.model

    @contextlib.contextmanager
    def charged(self) -> Iterator[None]:
        """Calls inside the block (evaluation passes) are charged to the training budget:
        they may use what `train` left of it plus EVAL_UNITS; the cost lands in
        `stats.eval_used_s`."""
        worker = self.worker
        if worker is None:
            raise TrainingFailed("the training worker was closed before evaluation")
        calibration = calibration_for(self.stats.device, self.stats.threads)
        spent = (self.stats.time_used_s or 0.0) + (self.stats.eval_used_s or 0.0)
        allowance = max(self.stats.limit_s - spent, 0.0) + calibration.seconds(EVAL_UNITS)
        client = worker.client
        try:
            if calibration.charges_cpu_time:
                with client.time_limit(allowance / max(1, self.stats.threads), cpu_s=allowance):
                    yield
            else:
                with client.time_limit(allowance):
                    yield
        finally:
            used = client.last_usage.cpu_s if calibration.charges_cpu_time else None
            used = client.last_usage.wall_s if used is None else used
            self.stats.eval_used_s = (self.stats.eval_used_s or 0.0) + used

    def close(self) -> None:
        if self.worker is not None:
            self.worker.close()
            self.worker = None
        self.model = None


_calibrations: dict[tuple[str, int], Calibration] = {}


def calibration_for(device: str, threads: int) -> Calibration:
    """The calibration of (device, threads), measured or read from the cache once per process."""
    key = (device, int(threads))
    if key not in _calibrations:
        _calibrations[key] = calibrate(device, int(threads))
    return _calibrations[key]


def budget_note(budget_s: float, calibration: Calibration) -> str:
    """ "training budget 48 CPU s on cpu (this machine does 0.80x reference)"."""
    note = (
        f"training budget {_fmt(budget_s)} {calibration.unit} on {calibration.device} "
        f"(this machine does {calibration.speed:.2f}x reference"
    )
    if calibration.speed > calibration.budget_speed:
        note += f"; budgets assume at most {calibration.budget_speed:.0f}x"
    return note + ")"


def train_student(
    session: Session, *, budget_units: float, entry: str = "train.train", seed: int = 0
) -> TrainedModel:
    """Run the student's `entry` (module.function in the package) in a fresh worker.

    Returns a TrainedModel whose `.failure` says why there is no model: over budget, an
    exception, a crash, or a return value that is not a torch.nn.Module.
    """
    if not (isinstance(budget_units, (int, float)) and math.isfinite(budget_units)):
        raise ValueError(f"budget_units must be a positive number, got {budget_units!r}")
    calibration = calibration_for(session.device, session.threads)
    budget_s = calibration.seconds(float(budget_units))
    # Start-up work (imports, the request's round trip) slows down with the CPU like the rest.
    slack = STARTUP_SLACK_S.get(device_type(session.device), 2.0) / min(calibration.speed, 1.0)
    stats = TrainingStats(
        device=session.device,
        threads=int(session.threads),
        budget_units=float(budget_units),
        budget_s=budget_s,
        limit_s=budget_s * (1 + GRACE) + slack,
        speed=calibration.speed,
        unit=calibration.unit,
    )
    session.note(budget_note(budget_s, calibration))
    log_dir = session.exchange_dir()
    trained = TrainedModel(
        None, None, log_dir, stats, session.data_dir, session.hidden_dir, note=session.note
    )
    trained.worker = session.spawn(time_limit_s=IMPORT_LIMIT_S, seed=seed)
    try:
        function = _resolve(trained.worker, entry)  # imports the module: not on the clock
    except StudentCodeError as exc:
        trained.failure = exc.student_message
        return _failed(trained)
    client = trained.worker.client
    if calibration.charges_cpu_time:
        # The wall-clock backstop assumes no parallel speed-up at all: generous on purpose.
        limit = client.time_limit(stats.limit_s, cpu_s=stats.limit_s)
    else:
        limit = client.time_limit(stats.limit_s)
    try:
        try:
            with limit:
                model = function(
                    data_dir=str(session.data_dir),
                    device=session.device,
                    time_budget_s=round(budget_s, 1),
                    seed=int(seed),
                    log_dir=str(log_dir),
                )
        finally:
            usage = client.last_usage
            stats.wall_s = usage.wall_s
            stats.time_used_s = usage.cpu_s if calibration.charges_cpu_time else usage.wall_s
            _record_peak_memory(trained)
    except GraderSideFailure as exc:
        trained.failure = f"training could not finish: {exc.student_message}"
        trained.failure_is_grader_side = True
        return _failed(trained)
    except WorkerTimeout as exc:
        used = stats.time_used_s
        if used is not None and used > stats.limit_s:
            trained.failure = (
                f"training took longer than its budget: {_fmt(budget_s)} {stats.unit} allowed "
                f"(+{GRACE:.0%} grace), stopped after {_fmt(used)} {stats.unit}"
            )
        else:
            trained.failure = f"training was stopped: {exc.student_message}"
        return _failed(trained)
    except StudentCodeError as exc:
        trained.failure = exc.student_message
        return _failed(trained)
    if not isinstance(model, RemoteModule):
        got = model.remote_type if isinstance(model, RemoteObject) else type(model).__name__
        trained.failure = (
            f"`{entry}` must return the trained torch.nn.Module, but it returned a value "
            f"of type {got}"
        )
        return _failed(trained)
    trained.model = model
    session.note(trained.stats.summary())
    return trained


def _resolve(student: RemotePackage, entry: str) -> Any:
    """`student.train.train` for entry "train.train"."""
    target = student
    for part in entry.split("."):
        target = getattr(target, part)
    return target


def _failed(trained: TrainedModel) -> TrainedModel:
    if trained.worker is not None:
        trained.worker.close()
        trained.worker = None
    return trained


def _record_peak_memory(trained: TrainedModel) -> None:
    """Peak resident memory of the training worker, read by the parent from /proc.

    The engine holds the pid of the sandbox's relay; the student's code runs in its
    descendants, so the largest VmHWM in that process tree is taken. The student's code
    cannot fake it. On CUDA this is host memory only (GPU memory would need a worker
    built-in for torch.cuda.max_memory_allocated; see docs/timing.md).
    """
    client = getattr(trained.worker, "client", None)
    pid = getattr(client, "pid", None)
    if not isinstance(pid, int):
        return
    peaks = [kib for kib in map(_vm_hwm_kib, _process_tree(pid)) if kib is not None]
    if peaks:
        trained.stats.peak_memory_mb = max(peaks) / 1024
        trained.stats.peak_memory_source = "VmHWM"


def _process_tree(root: int) -> list[int]:
    """`root` and all its descendants, from the parent pids in /proc/<pid>/stat."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").glob("[0-9]*/stat"):
        try:
            # "pid (comm) state ppid ...": comm may hold spaces and parentheses
            fields = entry.read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(entry.parent.name))
        except (OSError, IndexError, ValueError):
            continue
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


def _vm_hwm_kib(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def load_targets(trained: TrainedModel, dataset: str = "images", split: str = "test") -> np.ndarray:
    """The split's targets: from the hidden root for "test", the public root otherwise.

    Read in the parent only (np.load without pickle); never sent to a worker.
    """
    stem = _stem(TARGET_STEMS, dataset)
    root = trained.hidden_dir if split == "test" else trained.data_dir
    return _load_array(root / dataset / f"{split}_{stem}.npy")


def predict_split(
    trained: TrainedModel,
    dataset: str = "images",
    split: str = "test",
    *,
    output: str = "argmax",
    batch_size: int = 256,
    scale: float = 1 / 255,
) -> torch.Tensor:
    """The model's predictions on a public split's inputs, in eval mode.

    uint8 inputs are sent as they are and scaled in the worker. The time of this pass
    gives `stats.eval_samples_per_s`. The answer's first dimension is checked against
    the number of inputs; callers check the rest of the shape.
    """
    model = trained.require()
    inputs = _load_array(trained.data_dir / dataset / f"{split}_{_stem(INPUT_STEMS, dataset)}.npy")
    model.eval()
    start = time.monotonic()
    with trained.charged():
        predictions = model.predict(
            torch.from_numpy(inputs), batch_size=batch_size, scale=scale, output=output
        )
    elapsed = time.monotonic() - start
    trained.stats.eval_samples_per_s = len(inputs) / elapsed if elapsed > 0 else None
    if trained.note is not None and trained.stats.eval_samples_per_s is not None:
        trained.note(
            f"evaluation on {dataset}/{split}: {len(inputs)} samples, "
            f"{trained.stats.eval_samples_per_s:.0f} samples/s"
        )
    if type(predictions) is not torch.Tensor or predictions.ndim < 1:
        raise InvalidValue("predict did not return a tensor with one row per input")
    if predictions.shape[0] != len(inputs):
        raise InvalidValue(f"predict returned {predictions.shape[0]} rows for {len(inputs)} inputs")
    return predictions


def evaluate_classifier(
    trained: TrainedModel, dataset: str = "images", split: str = "test"
) -> float:
    """Accuracy on a split, computed in the parent; the worker never sees the labels."""
    trained.require()  # a failed training scores 0 with its reason, before any file is read
    labels = torch.from_numpy(load_targets(trained, dataset, split)).long()
    predictions = predict_split(trained, dataset, split, output="argmax")
    if predictions.shape != labels.shape or predictions.dtype != torch.int64:
        raise InvalidValue(
            f"predictions have shape {tuple(predictions.shape)} and dtype {predictions.dtype}, "
            f"expected {tuple(labels.shape)} int64 class indices"
        )
    return float((predictions == labels).double().mean().item())


def _stem(stems: dict[str, str], dataset: str) -> str:
    if dataset not in stems:
        raise ValueError(f"unknown dataset {dataset!r}; expected one of {sorted(stems)}")
    return stems[dataset]


def _load_array(path: Path) -> np.ndarray:
    if path.is_symlink() or not path.is_file():
        raise FileNotFoundError(f"{path} is missing; generate the data with `grader data`")
    return np.load(path, allow_pickle=False)


def _fmt(seconds: float) -> str:
    return f"{seconds:.0f}" if seconds >= 10 else f"{seconds:.1f}"
