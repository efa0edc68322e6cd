"""The pytest plugin that runs a hidden suite: fixtures for the tests, and a collector that
builds one `TestResult` per test. `grader.api.grade` passes an instance to `pytest.main`.
"""

from __future__ import annotations

import contextlib
import random
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pytest
import torch

from grader.engine.collect import (
    Outcome,
    build_result,
    leaderboard_entry,
    metadata_problems,
    reset_scores,
)
from grader.engine.remote import RemotePackage
from grader.engine.session import GradingSession
from grader.results import LeaderboardEntry, TestResult

_STUDENTS = pytest.StashKey[list[RemotePackage]]()
_OUTCOME = pytest.StashKey[Outcome]()
NOT_RUN = "not run"  # the output of a planned test that never ran


class GradingListener(Protocol):
    """Told about a grading run as it goes (a live report, the autograder's partial results).

    `tests_planned` comes once, after collection: one placeholder per test, scored 0 with
    output NOT_RUN; `test_started` with a test's placeholder as it starts; `test_finished`
    after each test, with its real result; `call_progress` now and then during a long
    CPU-charged call."""

    def tests_planned(self, results: list[TestResult]) -> None: ...

    def test_started(self, result: TestResult) -> None: ...

    def test_finished(self, result: TestResult) -> None: ...

    def call_progress(self, label: str, used_s: float, limit_s: float) -> None:
        """A long call of the running test (training) has used `used_s` of `limit_s` CPU s."""


def declared_timeout(item: pytest.Item) -> Any:
    """The raw argument of `@pytest.mark.timeout(N)`, or None when the test has none."""
    marker = item.get_closest_marker("timeout")
    if marker is None:
        return None
    return marker.args[0] if marker.args else marker.kwargs.get("timeout", "(missing)")


def time_limit_of(item: pytest.Item) -> float | None:
    """Seconds from `@pytest.mark.timeout(N)` (validated at collection), or None."""
    value = declared_timeout(item)
    return None if value is None else float(value)


def seed_of(item: pytest.Item) -> int:
    """A per-test seed that does not depend on where the suite lives."""
    return zlib.crc32(f"{Path(str(item.path)).name}::{item.name}".encode())


@contextlib.contextmanager
def seeded(seed: int) -> Iterator[None]:
    """Seed random, numpy and torch (CPU) for the block, then restore their states."""
    py_state, np_state = random.getstate(), np.random.get_state()
    with torch.random.fork_rng(devices=[]):
        random.seed(seed)
        np.random.seed(seed % (1 << 32))
        torch.manual_seed(seed)
        try:
            yield
        finally:
            random.setstate(py_state)
            np.random.set_state(np_state)


class GraderPlugin:
    def __init__(self, session: GradingSession, listener: GradingListener | None = None) -> None:
        self.session = session
        self.listener = listener
        self.results: list[TestResult] = []
        self.leaderboard: list[LeaderboardEntry] = []
        self.collect_errors: list[str] = []
        self._numbers: dict[str, str] = {}
        self._planned: dict[str, TestResult] = {}  # nodeid -> placeholder, for the listener

    # -- fixtures --------------------------------------------------------------------------

    @pytest.fixture(scope="session")
    def grader_session(self) -> GradingSession:
        return self.session

    @pytest.fixture
    def student(self, request: pytest.FixtureRequest) -> Iterator[RemotePackage]:
        """The student package in a fresh sandboxed worker."""
        pkg = self.session.spawn(time_limit_of(request.node), seed=seed_of(request.node))
        request.node.stash.setdefault(_STUDENTS, []).append(pkg)
        yield pkg
        pkg.close()

    @pytest.fixture
    def exchange_dir(self) -> Path:
        """A fresh directory the test and its workers can all read and write."""
        return self.session.exchange_dir()

    @pytest.fixture
    def set_score(self) -> Callable[[float], None]:
        """Only so `def test(student, set_score)` resolves; @partial_credit passes the real one."""
        return _needs_decorator("set_score", "@partial_credit(points)")

    @pytest.fixture
    def set_leaderboard_value(self) -> Callable[[Any], None]:
        return _needs_decorator("set_leaderboard_value", "@leaderboard(column)")

    # -- hooks -----------------------------------------------------------------------------

    def pytest_configure(self, config: pytest.Config) -> None:
        config.addinivalue_line("markers", "timeout(seconds): time limit of each worker call")

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            text = str(report.longreprtext).strip().splitlines()
            self.collect_errors.append(f"{report.nodeid}: {text[-1] if text else 'failed'}")

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        for index, item in enumerate(items, start=1):
            self._numbers[item.nodeid] = str(index)
            where = f"{Path(str(item.path)).name}::{item.name}"
            for problem in metadata_problems(getattr(item, "obj", None), declared_timeout(item)):
                self.collect_errors.append(f"{where}: {problem}")
        if self.collect_errors:
            items[:] = []  # grade nothing rather than grade with wrong points or visibility

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        if self.listener is None:
            return
        planned = [
            build_result(
                getattr(item, "obj", None),
                item_name=item.name,
                auto_number=self._numbers.get(item.nodeid, "0"),
                outcome=Outcome(passed=False, skip_reason=NOT_RUN),
            )
            for item in session.items
        ]
        for item, result in zip(session.items, planned, strict=True):
            result.output = NOT_RUN
            self._planned[item.nodeid] = result
        self.listener.tests_planned(planned)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> Iterator[None]:
        """The hidden test's own random inputs are the same on every run and machine."""
        if self.listener is not None and item.nodeid in self._planned:
            self.listener.test_started(self._planned[item.nodeid])
        with seeded(seed_of(item)):
            yield

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Iterator[None]:
        reset_scores(getattr(item, "obj", None))
        yield

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Iterator[Any]:
        outcome: Any = yield
        report = outcome.get_result()
        state = item.stash.setdefault(_OUTCOME, Outcome(passed=True))
        if report.skipped and state.error is None and state.skip_reason is None:
            state.skip_reason = _skip_reason(report)
            state.passed = False
        elif report.failed and state.error is None and state.skip_reason is None:
            state.passed = False
            state.error = call.excinfo.value if call.excinfo is not None else AssertionError()
        if call.when == "teardown":
            self._finish(item, state)

    def _finish(self, item: pytest.Item, state: Outcome) -> None:
        for pkg in item.stash.get(_STUDENTS, []):
            state.student_output += pkg.client.output
            state.output_dropped += pkg.client.output_dropped
        func = getattr(item, "obj", None)
        result = build_result(
            func,
            item_name=item.name,
            auto_number=self._numbers.get(item.nodeid, "0"),
            outcome=state,
        )
        for key, value in getattr(item, "user_properties", []):  # pytest's record_property
            result.extra_data[str(key)] = value
        self.results.append(result)
        if self.listener is not None:
            self.listener.test_finished(result)
        entry = leaderboard_entry(func)
        if entry is not None:
            self.leaderboard.append(entry)


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return "skipped"


def _needs_decorator(name: str, decorator: str) -> Callable[[Any], None]:
    def fail(_value: Any) -> None:
        raise TypeError(f"{name} only works on a test decorated with {decorator}")

    return fail
