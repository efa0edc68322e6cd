"""Call limits are charged in the worker tree's CPU time, not the wall clock.

A busy machine takes wall-clock time from a worker but cannot spend its CPU time, so the
verdict on a call must not move with the load; the wall clock only stops code that sleeps,
and a stop on a starved machine is the grader's problem, never the student's.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from helpers import Mutant, make_mutant
from toy_homework import TOY

from grader.bench.hogs import cpu_hogs
from grader.engine import client as client_module
from grader.engine.client import CallLimit, _machine_overloaded
from grader.engine.session import GradingSession
from grader.engine.usage import MachineLoad, TreeMeter
from grader.errors import GraderSideFailure, WorkerTimeout


def _session(tmp: Path, name: str, body: str) -> GradingSession:
    mutant = Mutant(name, "toyhw/models.py", "return scale * x.sum(dim=1)", body, loses=())
    root = make_mutant(TOY.solution_dir, mutant, tmp / name)
    return GradingSession(TOY, root, device="cpu", threads=1)


def test_call_limits_convert_to_cpu_time_with_a_wall_backstop() -> None:
    limit = CallLimit.make(10.0, threads=2)
    assert limit.cpu_s == 20.0  # the call may keep both threads busy for 10 s
    assert limit.backstop_s == client_module.BACKSTOP_FACTOR * 10 + client_module.BACKSTOP_SLACK_S
    explicit = CallLimit.make(5.0, threads=2, cpu_s=30.0)
    assert explicit.cpu_s == 30.0 and explicit.backstop_s > 30.0
    gpu = CallLimit.make(10.0, threads=None)  # GPUs: a wall-clock limit
    assert gpu.cpu_s is None and gpu.backstop_s == 10.0


def test_overload_needs_evidence_of_waiting_for_a_cpu() -> None:
    assert _machine_overloaded(None, None, waited_s=5.0, wall_s=10.0)
    assert not _machine_overloaded(None, None, waited_s=0.1, wall_s=10.0)  # a sleeper
    busy = (MachineLoad(busy=0, total=0), MachineLoad(busy=95, total=100))
    assert _machine_overloaded(*busy, waited_s=1.0, wall_s=10.0)
    assert not _machine_overloaded(*busy, waited_s=0.0, wall_s=10.0)  # never wanted a CPU
    assert _machine_overloaded(*busy, waited_s=None, wall_s=10.0)  # unknown: trust the machine


def test_tree_meter_counts_threads_and_children() -> None:
    code = (
        "import subprocess, sys, threading, time\n"
        "def spin():\n"
        "    end = time.process_time() + 0.4\n"
        "    while time.process_time() < end: pass\n"
        "threading.Thread(target=spin).start()\n"
        "subprocess.run([sys.executable, '-c', 'import time\\nend=time.process_time()+0.4\\n"
        "while time.process_time() < end: pass'])\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code])
    meter = TreeMeter(proc.pid)
    last = 0.0
    while proc.poll() is None:
        last = meter.sample().cpu_s
        time.sleep(0.05)
    assert last >= 0.6  # the thread's and (most of) the child's CPU time


def test_a_cpu_limit_does_not_move_with_load(tmp_path: Path) -> None:
    session = _session(tmp_path, "busy", "while True:\n        pass")
    try:
        with cpu_hogs(3):
            student = session.spawn()
            start = time.monotonic()
            with student.time_limit(1.5), pytest.raises(WorkerTimeout) as info:
                student.models.scaled_sum(torch.ones(1, 2), 1.0)
            wall = time.monotonic() - start
        assert "1.5 s of CPU time" in info.value.student_message
        cpu = student.client.last_usage.cpu_s
        assert cpu is not None and 1.5 <= cpu < 2.1  # stopped at its CPU time, not the clock
        assert wall >= cpu  # it had less than a whole core
    finally:
        session.close()


def test_sleeping_code_is_stopped_as_idle(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(client_module, "IDLE_GRACE_S", 1.0)
    session = _session(tmp_path, "sleepy", "import time\n    time.sleep(600)")
    try:
        student = session.spawn()
        start = time.monotonic()
        with student.time_limit(1.0), pytest.raises(WorkerTimeout) as info:
            student.models.scaled_sum(torch.ones(1, 2), 1.0)
        assert "idle (sleeping or blocked)" in info.value.student_message
        assert not isinstance(info.value, GraderSideFailure)
        assert time.monotonic() - start < 20  # long before the 33 s backstop
    finally:
        session.close()


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="needs sched_setaffinity")
def test_a_starved_call_is_the_graders_problem(tmp_path: Path, monkeypatch) -> None:
    # A tight backstop and a worker sharing one CPU with four busy processes: the wall clock
    # runs out while the worker waits for the CPU, which is not the student's doing.
    monkeypatch.setattr(client_module, "BACKSTOP_FACTOR", 1.0)
    monkeypatch.setattr(client_module, "BACKSTOP_SLACK_S", 1.0)
    monkeypatch.setattr(client_module, "IDLE_GRACE_S", 60.0)
    session = _session(tmp_path, "starved", "while True:\n        pass")
    try:
        student = session.spawn()
        with cpu_hogs(4, cpu=0):
            for pid in [student.client.pid, *_descendants(student.client.pid)]:
                with contextlib.suppress(OSError):
                    os.sched_setaffinity(pid, {0})
            with student.time_limit(2.0), pytest.raises(GraderSideFailure) as info:
                student.models.scaled_sum(torch.ones(1, 2), 1.0)
        assert "overloaded" in info.value.student_message
        assert "not your code's fault" in info.value.student_message
    finally:
        session.close()


def _descendants(pid: int) -> list[int]:
    from grader.sandbox.kill import descendants

    return descendants(pid)
