"""Remote handles, built-ins and time limits, driven through a GradingSession directly."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch
from toy_homework import TOY, make_submission

from grader.engine import GradingSession, RemoteModule, RemotePackage
from grader.errors import MissingAttribute, StudentException, WorkerTimeout


def _session(tmp: Path, name: str) -> GradingSession:
    submission = make_submission(name, tmp / name)
    return GradingSession(TOY, submission, device="cpu", threads=1)


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GradingSession]:
    s = _session(tmp_path_factory.mktemp("worker"), "solution")
    yield s
    s.close()


@pytest.fixture
def student(session: GradingSession) -> Iterator[RemotePackage]:
    with session.spawn(seed=3) as pkg:
        yield pkg


def test_module_handles_and_builtins(student: RemotePackage) -> None:
    model = student.models.LinearClassifier()
    assert isinstance(model, RemoteModule) and model.remote_type == "toyhw.models.LinearClassifier"
    assert isinstance(model.fc, RemoteModule) and type(model.fc.weight) is torch.Tensor
    assert model.training is True and model.eval() is model and model.training is False
    assert model.parameter_count() == 15 and model.parameter_count(trainable_only=True) == 15
    [info] = model.submodules()
    assert (info.name, info.torch_type) == ("fc", "Linear") and "in_features=4" in info.extra_repr
    state = {k: torch.zeros_like(v) for k, v in model.state_dict().items()}
    assert model.load_state_dict(state) == {"missing_keys": [], "unexpected_keys": []}
    assert torch.equal(model(torch.ones(2, 4)), torch.zeros(2, 3))
    images = np.full((5, 4), 255, dtype=np.uint8)
    assert torch.equal(model.predict(images, batch_size=2, output="logits"), torch.zeros(5, 3))


def test_gradients_and_seeding(session: GradingSession) -> None:
    weights = []
    for _ in range(2):
        with session.spawn(seed=7) as student:
            model = student.models.LinearClassifier()
            grads = model.gradients(torch.rand(3, 4), weights=torch.ones(3, 3))
            weights.append(model.named_parameters()["fc.weight"])
    assert torch.equal(weights[0], weights[1])  # the same seed builds the same model
    assert torch.allclose(grads.inputs[0], weights[1].sum(dim=0).expand(3, 4))
    assert set(grads.params) == {"fc.weight", "fc.bias"} and grads.output.shape == (3, 3)


def test_handles_stay_with_their_worker(session: GradingSession, student: RemotePackage) -> None:
    model = student.models.LinearClassifier()
    assert not hasattr(model, "__array__")  # dunder names are never forwarded
    with session.spawn() as other, pytest.raises(ValueError, match="another worker"):
        other.models.scaled_sum(model, 1.0)
    with pytest.raises(AttributeError, match="cannot set"):
        model.fc = None


def test_student_exceptions_carry_their_traceback(student: RemotePackage) -> None:
    with pytest.raises(StudentException) as info:
        student.models.scaled_sum("not a tensor", 2.0)
    assert info.value.exc_type == "AttributeError"
    assert "models.py line 9" in info.value.student_message
    assert "grader" not in info.value.detail  # only the student's frames


def test_time_limit_kills_a_hanging_call(tmp_path: Path) -> None:
    session = _session(tmp_path, "hanging")
    try:
        student = session.spawn()
        start = time.monotonic()
        with student.time_limit(1.0), pytest.raises(WorkerTimeout) as info:
            student.models.scaled_sum(torch.ones(1, 2), 1.0)
        assert info.value.student_message == "timed out after 1 s of CPU time in `scaled_sum`"
        # Charged in CPU time (one thread): stopped within a poll interval of the limit.
        assert 1.0 <= student.client.last_usage.cpu_s < 1.6
        assert time.monotonic() - start >= 1.0
        with pytest.raises(WorkerTimeout):  # the worker is gone: later calls fail the same way
            student.models.LinearClassifier()
    finally:
        session.close()


def test_a_dead_zygote_is_replaced(tmp_path: Path) -> None:
    session = _session(tmp_path, "solution")
    try:
        with session.spawn() as student:
            student.models.LinearClassifier()
        old = session.zygote
        os.kill(old.pid, signal.SIGKILL)
        for _ in range(2):  # the worker forked ahead of time, then one from a new zygote
            with session.spawn() as student:
                assert student.models.scaled_sum(torch.ones(1, 2), 2.0).tolist() == [4.0]
        assert session.zygote is not old and session.zygote.alive
    finally:
        session.close()


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    submission = make_submission("solution", tmp_path / "partial")
    (submission / "toyhw" / "models.py").unlink()
    session = GradingSession(TOY, submission, device="cpu", threads=1)
    try:
        with session.spawn() as student, pytest.raises(MissingAttribute) as info:
            student.models.LinearClassifier()
        assert info.value.student_message == "models.py not found in your submission"
    finally:
        session.close()
