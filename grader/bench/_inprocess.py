"""An in-process stand-in for the engine's fixtures, for the comparison bench only.

`python -m pytest SUITE -p grader.bench._inprocess` runs a hidden suite the way a course
without a sandbox would: plain pytest importing the student package directly. The
`student` fixture offers the API the hidden suites use (grader/engine/remote.py): attribute
access on the package, calls, and the `RemoteModule` built-ins, run here with the worker's
own functions (grader/engine/builtins.py). Returned tensors are detached copies, as they
are after crossing the pipe: a suite may keep a state_dict and compare it after a forward.

This gives no isolation at all; it exists so the bench can say what the engine's costs.
Settings come from the environment (the bench starts pytest as a subprocess):

    GRADER_BENCH_SUBMISSION  the folder that holds the student package
    GRADER_BENCH_PACKAGE     the package's import name, e.g. hw1
    GRADER_BENCH_RECORD      optional: a JSON file to write each test's outcome and time to
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import numpy as np
import pytest
import torch
from torch import nn

from grader.engine.builtins import MODULE_BUILTINS
from grader.engine.plugin import seed_of, seeded
from grader.engine.remote import ModuleBuiltins
from grader.timing import default_threads

SUBMISSION_ENV = "GRADER_BENCH_SUBMISSION"
PACKAGE_ENV = "GRADER_BENCH_PACKAGE"
RECORD_ENV = "GRADER_BENCH_RECORD"

_PLAIN = (bool, int, float, str, bytes, type(None), torch.dtype, torch.device)


def wrap(value: Any) -> Any:
    """What the test sees of a value the student's code returned."""
    if isinstance(value, torch.Tensor):
        return value.detach().clone()
    if isinstance(value, _PLAIN):
        return value
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, list):
        return [wrap(v) for v in value]
    if isinstance(value, tuple):
        return tuple(wrap(v) for v in value)
    if isinstance(value, dict):
        return {k: wrap(v) for k, v in value.items()}
    if isinstance(value, nn.Module):
        return LocalModule(value)
    return LocalObject(value)


def unwrap(value: Any) -> Any:
    """What the student's code gets of a value the test passes (handles become objects)."""
    if isinstance(value, LocalObject):
        return object.__getattribute__(value, "_target")
    if isinstance(value, list):
        return [unwrap(v) for v in value]
    if isinstance(value, tuple):
        return tuple(unwrap(v) for v in value)
    if isinstance(value, dict):
        return {k: unwrap(v) for k, v in value.items()}
    return value


class LocalObject:
    """The student's object, reached directly: the in-process twin of `RemoteObject`."""

    def __init__(self, target: Any) -> None:
        object.__setattr__(self, "_target", target)

    @property
    def remote_type(self) -> str:
        target = object.__getattribute__(self, "_target")
        if isinstance(target, ModuleType):
            return target.__name__
        cls = target if isinstance(target, type) else type(target)
        return f"{cls.__module__}.{cls.__qualname__}"

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return wrap(getattr(object.__getattribute__(self, "_target"), name))

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return wrap(object.__getattribute__(self, "_target")(*unwrap(args), **unwrap(kwargs)))


class LocalModule(LocalObject, ModuleBuiltins):
    """A `torch.nn.Module` with the `RemoteModule` built-ins (the same methods and checks,
    grader/engine/remote.py), each run here by the worker's own function."""

    def _builtin(self, name: str, *args: Any, **kwargs: Any) -> Any:
        module = object.__getattribute__(self, "_target")
        if name == "predict":
            kwargs = {"device": "cpu", **kwargs}  # the worker adds its own device
        return wrap(MODULE_BUILTINS[name](module, *unwrap(args), **unwrap(kwargs)))


class LocalPackage:
    """`student`: the package imported into this very process."""

    def __init__(self, package: str, root: Path) -> None:
        self._package = package
        self._root = root

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        pkg_dir = self._root / self._package
        if (pkg_dir / f"{name}.py").is_file() or (pkg_dir / name / "__init__.py").is_file():
            return wrap(importlib.import_module(f"{self._package}.{name}"))
        return wrap(getattr(importlib.import_module(self._package), name))

    def time_limit(self, seconds: float) -> contextlib.AbstractContextManager[None]:
        return contextlib.nullcontext()  # nothing here can stop a call that hangs

    @property
    def output(self) -> str:
        return ""

    def close(self) -> None:
        pass

    def __enter__(self) -> LocalPackage:
        return self

    def __exit__(self, *exc: object) -> None:
        pass


class LocalSession:
    """`grader_session`: the parts of `GradingSession` the hidden suites use."""

    def __init__(self, package: str, root: Path, workdir: Path) -> None:
        self.homework = SimpleNamespace(package=package)
        self.submission_root = root
        self.device = "cpu"
        self.notes: list[str] = []
        self._workdir = workdir
        self._count = 0

    def spawn(self, time_limit_s: float | None = None, *, seed: int = 0) -> LocalPackage:
        return LocalPackage(str(self.homework.package), self.submission_root)

    def exchange_dir(self) -> Path:
        self._count += 1
        path = self._workdir / f"exchange-{self._count}"
        path.mkdir()
        return path

    def note(self, text: str) -> None:
        self.notes.append(text)


# -- the pytest plugin ---------------------------------------------------------------------

_RECORD: list[dict[str, Any]] = []
_START = time.perf_counter()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "timeout(seconds): time limit of each worker call")
    torch.set_num_threads(default_threads())  # what the engine gives a worker
    # deterministic kernels, as in the worker (the C flag: the Python call imports inductor)
    torch._C._set_deterministic_algorithms(True, warn_only=True)
    root = Path(os.environ[SUBMISSION_ENV]).resolve()
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    if config.pluginmanager.has_plugin("pytest_forked"):
        _marshal_node_ids()


def _marshal_node_ids() -> None:
    """pytest-forked (1.7.5) marshals each report's __dict__ from the child to the parent;
    since pytest 9.2 that holds a NodeId object under `_id`, which marshal refuses, and
    every forked test "crashes". Send the node id as the plain string TestReport takes."""
    import pytest_forked

    original = pytest_forked.serialize_report

    def serialize(report: pytest.TestReport) -> dict[str, Any]:
        data: dict[str, Any] = original(report)
        if "_id" in data:
            data["nodeid"] = str(data.pop("_id"))
        return data

    pytest_forked.serialize_report = serialize


@pytest.fixture(scope="session")
def grader_session(tmp_path_factory: pytest.TempPathFactory) -> LocalSession:
    root = Path(os.environ[SUBMISSION_ENV]).resolve()
    return LocalSession(os.environ[PACKAGE_ENV], root, tmp_path_factory.mktemp("exchange"))


@pytest.fixture
def student(grader_session: LocalSession) -> LocalPackage:
    return grader_session.spawn()


@pytest.fixture
def exchange_dir(grader_session: LocalSession) -> Path:
    return grader_session.exchange_dir()


@pytest.fixture
def set_score() -> Callable[[float], None]:
    return lambda _score: None  # @partial_credit passes its own


@pytest.fixture
def set_leaderboard_value() -> Callable[[Any], None]:
    return lambda _value: None  # @leaderboard passes its own


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Iterator[None]:
    with seeded(seed_of(item)):  # the same per-test seed as the engine
        yield


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Runs in the parent under pytest-forked too, where the reports come back."""
    _RECORD.append(
        {
            "nodeid": report.nodeid,
            "when": report.when,
            "outcome": report.outcome,
            "seconds": report.duration,
        }
    )


def pytest_sessionfinish(session: pytest.Session) -> None:
    path = os.environ.get(RECORD_ENV)
    if not path:
        return
    data = {"tests": _RECORD, "session_s": time.perf_counter() - _START}
    with tempfile.NamedTemporaryFile("w", dir=Path(path).parent, delete=False) as out:
        json.dump(data, out)
    os.replace(out.name, path)
