"""Timed training: device choice, calibration and its cache, budgets, and a toy homework
whose training runs past its budget (tests/timing_toy).

The real calibrations run the benchmark for 1 and 2 threads once each (marked slow: a few
seconds each on a quiet machine, much more while others load it, mostly importing torch);
the toy homework is graded three times (marked slow: about 45 s on a loaded 2-core machine,
most of it starting the zygote that imports torch).
"""

from __future__ import annotations

import contextlib
import json
import math
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch
from helpers import Mutant, make_mutant
from timing_toy import make_data, make_toy, shared_cache_dir, toy_environment

from grader import training
from grader.engine.client import CallUsage
from grader.errors import GraderError, InvalidValue
from grader.results import GradeReport
from grader.timing import MAX_BUDGET_SPEEDUP, Calibration, calibrate, choose_device
from grader.timing import calibration as calibration_module
from grader.timing import device as device_module

# ---- device choice ---------------------------------------------------------------------


@pytest.fixture
def no_gpu(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.delenv("GRADER_DEVICE", raising=False)
    monkeypatch.setattr(device_module, "cuda_device_count", lambda: 0)
    monkeypatch.setattr(device_module, "mps_available", lambda: False)
    return monkeypatch


def test_device_flag_beats_environment_beats_detection(no_gpu: pytest.MonkeyPatch) -> None:
    no_gpu.setattr(device_module, "cuda_device_count", lambda: 2)
    assert choose_device() == "cuda"
    no_gpu.setenv("GRADER_DEVICE", "cpu")
    assert choose_device() == "cpu"
    assert choose_device("cuda:1") == "cuda:1"
    assert choose_device(" CPU ") == "cpu"
    no_gpu.setenv("GRADER_DEVICE", "")
    assert choose_device() == "cuda"


def test_device_detection_order(no_gpu: pytest.MonkeyPatch) -> None:
    assert choose_device() == "cpu"
    no_gpu.setattr(device_module, "mps_available", lambda: True)
    assert choose_device() == "mps"
    no_gpu.setattr(device_module, "cuda_device_count", lambda: 1)
    assert choose_device() == "cuda"


def test_device_errors_name_the_value_and_its_source(no_gpu: pytest.MonkeyPatch) -> None:
    with pytest.raises(GraderError, match=r"unknown device 'tpu' \(from --device\)"):
        choose_device("tpu")
    no_gpu.setenv("GRADER_DEVICE", "cuda")
    with pytest.raises(GraderError, match=r"'cuda' \(from \$GRADER_DEVICE\).*no CUDA GPU"):
        choose_device()
    with pytest.raises(GraderError, match="not an Apple-silicon Mac"):
        choose_device("mps")
    no_gpu.setattr(device_module, "cuda_device_count", lambda: 2)
    with pytest.raises(GraderError, match=r"only 2 CUDA GPU\(s\)"):
        choose_device("cuda:2")


# ---- calibration: cache, force, budgets ----------------------------------------------------


def _fake_measurement(speed: float) -> Calibration:
    seconds = {"cnn": 0.1 / speed, "linear": 0.01 / speed, "mlp": 0.05 / speed}
    return Calibration(
        device="cpu",
        threads=2,
        speed=speed,
        workload_s=sum(seconds.values()),
        kernel_seconds=seconds,
        device_name="test cpu",
        measured_at="2026-01-01T00:00:00+00:00",
        duration_s=1.0,
    )


@pytest.fixture
def fake_measure(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[tuple[str, int]]:
    """Measurements cost nothing and are counted; the cache lives in tmp_path."""
    monkeypatch.setenv("GRADER_CACHE_DIR", str(tmp_path / "cache"))
    calls: list[tuple[str, int]] = []

    def measure(device: str, threads: int) -> Calibration:
        calls.append((device, threads))
        return _fake_measurement(0.5 + 0.25 * len(calls))

    monkeypatch.setattr(calibration_module, "_measure_in_subprocess", measure)
    monkeypatch.setattr(calibration_module, "_load_average", lambda: 0.1)  # a quiet machine
    return calls


def test_calibration_is_cached_until_forced(fake_measure: list[tuple[str, int]]) -> None:
    first = calibrate("cpu", 2)
    assert not first.from_cache and first.cache_path is not None and first.speed == 0.75
    again = calibrate("cpu", 2)
    assert again.from_cache and again.speed == first.speed and len(fake_measure) == 1
    forced = calibrate("cpu", 2, force=True)
    assert not forced.from_cache and forced.speed == 1.0 and len(fake_measure) == 2
    assert calibrate("cpu", 2).speed == 1.0  # the forced result replaced the cached one
    other_threads = calibrate("cpu", 1)
    assert not other_threads.from_cache and len(fake_measure) == 3
    entries = json.loads(first.cache_path.read_text())["entries"]
    assert len(entries) == 2 and first.key != other_threads.key


def test_busy_calibration_is_measured_again_when_quiet(
    fake_measure: list[tuple[str, int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A speed measured under load is too low; it must not set budgets forever."""
    from dataclasses import replace

    busy_load = calibration_module._usable_cores() + 3.0
    monkeypatch.setattr(
        calibration_module,
        "_measure_in_subprocess",
        lambda device, threads: (
            fake_measure.append((device, threads))
            or replace(_fake_measurement(0.25 * len(fake_measure)), load_average=busy_load)
        ),
    )
    load_now = [busy_load]
    monkeypatch.setattr(calibration_module, "_load_average", lambda: load_now[0])
    first = calibrate("cpu", 2)
    assert first.measured_busy() and first.speed == 0.25
    still_busy = calibrate("cpu", 2)
    assert still_busy.from_cache and len(fake_measure) == 1  # measuring now would be as bad
    load_now[0] = 0.1
    quiet = calibrate("cpu", 2)
    assert not quiet.from_cache and quiet.speed == 0.5 and len(fake_measure) == 2


def test_quiet_calibration_is_checked_again_while_busy(
    fake_measure: list[tuple[str, int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A busy moment never gets a tighter budget than the quiet figure in the cache gives."""
    quiet = calibrate("cpu", 2)  # speed 0.75, measured quiet
    monkeypatch.setattr(
        calibration_module, "_load_average", lambda: calibration_module._usable_cores() + 3.0
    )
    monkeypatch.setattr(
        calibration_module,
        "_measure_in_subprocess",
        lambda device, threads: fake_measure.append((device, threads)) or _fake_measurement(0.6),
    )
    busy = calibrate("cpu", 2)
    assert len(fake_measure) == 2 and busy.speed == 0.6  # slower now: the slower figure
    assert busy.seconds(10) > quiet.seconds(10)
    monkeypatch.setattr(calibration_module, "_load_average", lambda: 0.1)
    assert calibrate("cpu", 2).speed == 0.75  # the cache kept the quiet measurement


def test_corrupt_or_unwritable_cache_never_fails(
    fake_measure: list[tuple[str, int]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache" / "calibration.json"
    cache.parent.mkdir()
    cache.write_text("{not json")
    assert not calibrate("cpu", 2).from_cache
    data = json.loads(cache.read_text())
    key = next(iter(data["entries"]))
    data["entries"][key]["speed"] = "fast"
    cache.write_text(json.dumps(data))
    assert not calibrate("cpu", 2).from_cache  # a malformed entry is measured again
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where the cache folder should be")
    monkeypatch.setenv("GRADER_CACHE_DIR", str(blocker))
    result = calibrate("cpu", 2)
    assert result.cache_path is None and "could not write" in result.notes[0]


def test_seconds_from_units() -> None:
    """On a CPU a unit is UNIT_CPU_S CPU seconds at reference speed; on a GPU a wall second."""
    from dataclasses import replace

    slow = _fake_measurement(0.5)
    assert slow.charges_cpu_time and slow.unit == "CPU s"
    assert slow.seconds(10) == pytest.approx(10 * calibration_module.UNIT_CPU_S / 0.5)
    fast = _fake_measurement(50.0)
    unit = calibration_module.UNIT_CPU_S
    assert fast.seconds(10) == pytest.approx(10 * unit / MAX_BUDGET_SPEEDUP)
    gpu = replace(_fake_measurement(0.5), device="cuda")
    assert not gpu.charges_cpu_time and gpu.seconds(10) == pytest.approx(20.0)
    for bad in (0, -1, math.nan):
        with pytest.raises(ValueError, match="positive number of units"):
            slow.seconds(bad)


def test_budget_note() -> None:
    assert training.budget_note(48.0, _fake_measurement(0.8)) == (
        "training budget 48 CPU s on cpu (this machine does 0.80x reference)"
    )
    note = training.budget_note(2.0, _fake_measurement(20.0))
    assert note.endswith("(this machine does 20.00x reference; budgets assume at most 5x)")


@pytest.mark.slow
def test_real_calibration_depends_on_threads(
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Measure 1 and 2 threads for real (via the CLI for one of them); timings are noisy on a
    shared machine, so only their sanity and the cache keys are asserted. The cache is
    shared with the toy gradings below, which then need not measure again."""
    from grader.cli import main

    monkeypatch.setenv("GRADER_CACHE_DIR", str(shared_cache_dir(tmp_path_factory.getbasetemp())))
    assert main(["calibrate", "--device", "cpu", "--threads", "1"]) == 0
    line = capsys.readouterr().out.splitlines()[0]  # a warning may follow on a busy machine
    assert re.fullmatch(
        r"cpu, 1 thread: \d+\.\d\dx reference \(\d+\.\d\d s workload\); cached in .*", line
    ), line
    one = calibrate("cpu", 1)
    two = calibrate("cpu", 2, force=True)
    assert one.from_cache and not two.from_cache
    assert one.key != two.key and "threads=1" in one.key and "threads=2" in two.key
    for cal in (one, two):
        assert math.isfinite(cal.speed) and cal.speed > 0
        assert 0 < cal.seconds(10) < math.inf
        assert cal.duration_s < 30  # the benchmark itself is short even on a loaded machine
        assert set(cal.kernel_seconds) == {"cnn", "linear", "mlp"}


# ---- a toy homework whose training can run past its budget ---------------------------------


# Computes, then sleeps, far longer than any budget for 1.5 units.
SPINNER = Mutant(
    "spinner",
    "timetoy/train.py",
    "    time.sleep(SLEEP_S)\n",
    "    end = time.process_time() + 300\n    while time.process_time() < end:\n        pass\n",
    ("trains",),
)
SLEEPY = Mutant("sleepy", "timetoy/train.py", "SLEEP_S = 0.0", "SLEEP_S = 300.0", ("trains",))
NOT_A_MODEL = Mutant("not_a_model", "timetoy/train.py", "    return model\n", "    return 3\n", ())


@pytest.fixture(scope="module")
def toy_reports(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, GradeReport]]:
    """The toy graded as the solution, a mutant that sleeps past its budget, and one that
    returns something other than a model. One calibration (1 thread) serves all three."""
    from grader.api import grade

    root = tmp_path_factory.mktemp("timing_toy")
    homework = make_toy(root / "hw")
    solution = root / "hw" / "solution"
    with toy_environment(tmp_path_factory.getbasetemp()):
        reports = {"solution": grade(homework, solution, device="cpu", threads=1)}
        for mutant, keyword in (
            (SPINNER, None),
            (SLEEPY, "trains_in_budget"),
            (NOT_A_MODEL, "trains_in_budget"),
        ):
            submission = make_mutant(solution, mutant, root / mutant.name)
            reports[mutant.name] = grade(
                homework, submission, device="cpu", threads=1, keyword=keyword
            )
    yield reports


def _by_name(report: GradeReport) -> dict[str, tuple[float, str]]:
    return {t.name: (t.score, t.output) for t in report.tests}


@pytest.mark.slow
def test_toy_solution_trains_within_budget(toy_reports: dict[str, GradeReport]) -> None:
    report = toy_reports["solution"]
    assert report.score == report.max_score == 6, _by_name(report)
    [train_test] = [t for t in report.tests if t.name == "training finishes within its budget"]
    stats = train_test.extra_data["training"]
    assert stats["device"] == "cpu" and stats["threads"] == 1 and stats["budget_units"] == 1.5
    assert 0 < stats["time_used_s"] <= stats["limit_s"] and stats["peak_memory_mb"] > 0
    assert stats["unit"] == "CPU s" and stats["wall_s"] > 0
    assert re.search(
        r"training budget \d+(\.\d)? CPU s on cpu \(this machine does \d+\.\d\dx reference\)",
        report.output,
    ), report.output


@pytest.mark.slow
def test_toy_over_budget_scores_zero_but_other_tests_run(
    toy_reports: dict[str, GradeReport],
) -> None:
    tests = _by_name(toy_reports["spinner"])
    score, output = tests["training finishes within its budget"]
    assert score == 0
    match = re.search(
        r"training took longer than its budget: (\d+(?:\.\d)?) CPU s allowed \(\+10% grace\), "
        r"stopped after (\d+(?:\.\d)?) CPU s",
        output,
    )
    assert match, output
    allowed, stopped = float(match[1]), float(match[2])
    assert allowed * 1.1 < stopped < allowed * 1.1 + 5  # stopped by its CPU time
    assert tests["test accuracy"][0] == 0 and "longer than its budget" in tests["test accuracy"][1]
    assert tests["the model gives one logit per class"][0] == 1  # needs no training: still runs


@pytest.mark.slow
def test_toy_that_sleeps_is_stopped_as_idle(toy_reports: dict[str, GradeReport]) -> None:
    """Sleeping uses no CPU time: the wall-clock backstop stops it, and says why."""
    score, output = _by_name(toy_reports["sleepy"])["training finishes within its budget"]
    assert score == 0
    assert output.startswith("training was stopped: timed out after") and "idle" in output, output


@pytest.mark.slow
def test_toy_train_returning_a_non_module_fails_clearly(
    toy_reports: dict[str, GradeReport],
) -> None:
    score, output = _by_name(toy_reports["not_a_model"])["training finishes within its budget"]
    assert score == 0
    assert output == (
        "`train.train` must return the trained torch.nn.Module, but it returned a value of type int"
    ), output


# ---- evaluation: labels stay in the parent, predictions are checked --------------------------


class _FakeModel:
    """Stands in for a RemoteModule: answers predict() with whatever the test sets."""

    def __init__(self, answer: object) -> None:
        self.answer = answer
        self.eval_called = False
        self.seen: object = None

    def eval(self) -> _FakeModel:
        self.eval_called = True
        return self

    def predict(self, inputs: object, **kwargs: object) -> object:
        self.seen = inputs
        return self.answer


class _FakeClient:
    """Stands in for the worker's WorkerClient: records the limits evaluation asked for."""

    def __init__(self) -> None:
        self.limits: list[tuple[float, float | None]] = []
        self.last_usage = CallUsage(wall_s=0.5, cpu_s=0.8)

    def time_limit(
        self, seconds: float, *, cpu_s: float | None = None
    ) -> contextlib.AbstractContextManager[None]:
        assert seconds > 0
        self.limits.append((seconds, cpu_s))
        return contextlib.nullcontext()


class _FakeWorker:
    def __init__(self) -> None:
        self.client = _FakeClient()


def _trained_with(answer: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    make_data(tmp_path / "data", tmp_path / "hidden")
    monkeypatch.setattr(training, "_calibrations", {("cpu", 2): _fake_measurement(1.0)})
    stats = training.TrainingStats("cpu", 2, 1.0, 1.0, 3.1, 1.0)
    model = _FakeModel(answer)
    trained = training.TrainedModel(
        model, None, tmp_path, stats, tmp_path / "data", tmp_path / "hidden", worker=_FakeWorker()
    )
    return trained, model


def test_evaluate_classifier_scores_in_the_parent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    trained, model = _trained_with(None, tmp_path, monkeypatch)
    labels = torch.from_numpy(np.load(tmp_path / "hidden" / "images" / "test_labels.npy"))
    wrong = labels.clone()
    wrong[:12] = (wrong[:12] + 1) % 3  # 12 of 48 wrong
    model.answer = wrong
    assert training.evaluate_classifier(trained) == pytest.approx(36 / 48)
    assert model.eval_called
    sent = model.seen
    assert isinstance(sent, torch.Tensor) and sent.dtype == torch.uint8  # pixels only
    assert tuple(sent.shape) == (48, 3, 64, 64)
    assert trained.stats.eval_samples_per_s is not None and trained.stats.eval_samples_per_s > 0


def test_evaluation_is_charged_to_the_training_budget(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What `train` left of its budget, plus a small allowance, is all predict may use: a
    model cannot buy more training by working inside `predict`."""
    trained, model = _trained_with(None, tmp_path, monkeypatch)
    model.answer = torch.from_numpy(np.load(tmp_path / "hidden" / "images" / "test_labels.npy"))
    trained.stats.time_used_s = 2.0  # of a 3.1 CPU s limit
    training.evaluate_classifier(trained)
    training.evaluate_classifier(trained)
    client = trained.worker.client
    allowance = training.calibration_for("cpu", 2).seconds(training.EVAL_UNITS)
    first, second = (cpu for _seconds, cpu in client.limits)
    assert first == pytest.approx(3.1 - 2.0 + allowance)
    assert second == pytest.approx(3.1 - 2.0 - 0.8 + allowance)  # the first pass used 0.8
    assert trained.stats.eval_used_s == pytest.approx(1.6)


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (torch.zeros(47, dtype=torch.int64), "47 rows for 48 inputs"),
        (torch.zeros(48, 3), r"shape \(48, 3\) and dtype torch.float32"),
        (torch.zeros(48, dtype=torch.int32), "dtype torch.int32"),
        ([0] * 48, "one row per input"),
    ],
)
def test_evaluate_classifier_rejects_bad_predictions(
    answer: object, message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    trained, _ = _trained_with(answer, tmp_path, monkeypatch)
    with pytest.raises(InvalidValue, match=message):
        training.evaluate_classifier(trained)


def test_failed_training_fails_every_test_that_needs_the_model(tmp_path: Path) -> None:
    stats = training.TrainingStats("cpu", 2, 1.0, 1.0, 3.1, 1.0)
    failed = training.TrainedModel(None, "boom", tmp_path, stats, tmp_path, tmp_path)
    with pytest.raises(training.TrainingFailed, match="boom"):
        training.evaluate_classifier(failed)
