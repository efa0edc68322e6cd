"""A worker that dies inside PyTorch or the grader's own loop is not blamed on the student.

The classifier reads the Python frames faulthandler wrote; the end-to-end test crashes a
real worker inside torch (torch 2.14.1's channels_last 1x1 stride-2 conv backward on CPU)
and grades the toy homework, so the report says "PyTorch crashed" and flags the test.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from helpers import Mutant, make_mutant
from toy_homework import TOY

from grader.api import grade
from grader.engine import crashes
from grader.errors import GraderWorkerFailed, PyTorchCrashed, WorkerCrashed

TORCH = crashes.TORCH_DIR
assert TORCH is not None


def _log(*frames: tuple[str, str]) -> str:
    lines = [
        "Fatal Python error: Segmentation fault",
        "",
        "Thread 0x00007e (most recent call first):",
        '  File "/g/grader/engine/capture.py", line 41 in _pump',
        "",
        "Current thread 0x00007f (most recent call first):",
    ]
    lines += [f'  File "{file}", line 12 in {func}' for file, func in frames]
    return "\n".join(lines) + "\n"


def test_a_crash_in_torch_backward_is_pytorchs() -> None:
    log = _log(
        (str(TORCH / "autograd" / "graph.py"), "_engine_run_backward"),
        (str(TORCH / "_tensor.py"), "backward"),
        ("/w/hw3/train.py", "train"),
    )
    error = crashes.classify_crash(log, "SIGSEGV", "train")
    assert isinstance(error, PyTorchCrashed) and error.grader_side
    assert error.student_message.startswith(
        "PyTorch crashed in the backward pass (loss.backward()) (SIGSEGV) while running `train`"
    )
    assert "channels_last 1x1 stride-2" in error.student_message


def test_a_crash_in_a_torch_module_names_it() -> None:
    log = _log(
        (str(TORCH / "nn" / "modules" / "conv.py"), "_conv_forward"),
        ("/w/hw3/models.py", "forward"),
    )
    message = crashes.classify_crash(log, "SIGSEGV", "m").student_message
    assert message.startswith("PyTorch crashed in `_conv_forward` (torch/nn/modules/conv.py)")


@pytest.mark.parametrize(
    "log",
    [
        "",  # no log: killed before faulthandler could write
        _log(
            ("/w/hw3/models.py", "forward"), (str(TORCH / "nn" / "modules" / "module.py"), "_call")
        ),
        _log(("/usr/lib/python3.11/ctypes/__init__.py", "string_at"), ("/w/hw/models.py", "f")),
        _log(("/w/torch/fake.py", "f")),  # a student's own folder named torch
    ],
)
def test_other_crashes_are_the_students(log: str) -> None:
    for student_dir in (None, "/w"):  # with or without knowing the student's folder
        error = crashes.classify_crash(log, "SIGSEGV", "forward", student_dir)
        assert type(error) is WorkerCrashed
        assert error.student_message == "your code crashed (SIGSEGV) while running `forward`"


def test_a_crash_with_no_student_frame_on_the_stack_is_the_graders() -> None:
    """The grader's own worker code crashed (here in its output pump) while the student's
    code was not running: that is never "your code crashed"."""
    log = _log(
        ("/g/grader/engine/protocol.py", "send_message"),
        ("/g/grader/engine/worker.py", "serve"),
    )
    error = crashes.classify_crash(log, "SIGSEGV", "Model.forward", "/w")
    assert isinstance(error, GraderWorkerFailed) and error.grader_side
    assert error.student_message.startswith(
        "the grader's worker crashed (SIGSEGV) in its own code (`send_message`, protocol.py)"
    )
    assert "your code crashed" not in error.student_message
    # a student frame anywhere on the crashing thread's stack makes it the student's
    deeper = _log(("/g/grader/engine/protocol.py", "encode"), ("/w/hw/models.py", "forward"))
    assert type(crashes.classify_crash(deeper, "SIGSEGV", "m", "/w")) is WorkerCrashed


def test_an_exception_escaping_the_worker_loop_is_the_graders() -> None:
    log = f"{crashes.LOOP_FAILURE_MARK}BrokenPipeError: [Errno 32] Broken pipe\n"
    error = crashes.classify_crash(log, "exit code 70", "train")
    assert isinstance(error, GraderWorkerFailed) and error.grader_side
    assert "your code" not in error.student_message.split(";")[0]
    assert "BrokenPipeError" in error.student_message


_CRASH = """import torch
    conv = torch.nn.Conv2d(8, 16, 1, stride=2, bias=False).to(memory_format=torch.channels_last)
    x = torch.randn(8, 8, 96, 128).to(memory_format=torch.channels_last).requires_grad_()
    conv(x).sum().backward()
    return scale * x.sum(dim=1)"""


def _torch_still_crashes() -> bool:
    code = "def f(scale, x):\n    " + _CRASH + "\nf(1.0, None)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=300)
    return proc.returncode < 0


def test_a_real_crash_inside_torch_is_reported_as_grader_side(tmp_path: Path) -> None:
    if not _torch_still_crashes():
        pytest.skip("this torch version no longer crashes on the channels_last downsample")
    mutant = Mutant(
        "torch_crash",
        "toyhw/models.py",
        "return scale * x.sum(dim=1)",
        _CRASH,
        loses=("scaled_sum",),
    )
    submission = make_mutant(TOY.solution_dir, mutant, tmp_path / "torch_crash")
    report = grade(TOY, submission, threads=1, keyword="values")
    [test] = [t for t in report.tests if t.output]
    assert test.output.startswith("PyTorch crashed in the backward pass"), test.output
    assert test.extra_data.get("grader_side") is True
    assert test.score == 0
