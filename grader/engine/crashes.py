"""Tell a worker's death inside PyTorch or the grader apart from a crash of student code.

The worker enables `faulthandler` on a log file that the parent creates beside the
worker's scratch copy, before the sandbox is entered (the sandboxed user cannot replace
it by path). After a crash the parent reads the Python frames there: when the innermost
frame is PyTorch's own code, the crash happened in a torch kernel, not in the student's
code; when the worker loop itself failed, the log names the grader's exception.
"""

from __future__ import annotations

import faulthandler
import importlib.util
import os
import re
from pathlib import Path
from typing import TextIO

from grader.errors import GraderWorkerFailed, PyTorchCrashed, StudentCodeError, WorkerCrashed

LOOP_FAILURE_MARK = "grader worker loop failed: "
MAX_LOG_BYTES = 64 * 1024
# torch 2.14.1's oneDNN backward of a 1x1 stride-2 conv on channels_last input segfaults
KNOWN_ISSUE = (
    "a known issue with channels_last 1x1 stride-2 convolutions on CPU in this torch version"
)

_FRAME = re.compile(r'^\s*File "(?P<file>[^"]+)", line (?P<line>\d+) in (?P<func>\S+)', re.M)
_TORCH_SPEC = importlib.util.find_spec("torch")  # no import: the parent may not need torch
TORCH_DIR = Path(_TORCH_SPEC.origin).parent if _TORCH_SPEC and _TORCH_SPEC.origin else None


def fault_log_path(workdir: Path) -> Path:
    """Where the worker whose scratch copy is `workdir` logs a fatal error."""
    return workdir.with_name(workdir.name + ".fault")


def enable_fault_log(workdir: Path) -> TextIO | None:
    """In the worker, before the sandbox: faulthandler writes a fatal error's frames here."""
    try:
        log = open(fault_log_path(workdir), "w", opener=_private_opener)  # noqa: SIM115 - kept open
    except OSError:
        return None  # the parent then reports the bare exit status
    faulthandler.enable(file=log)
    return log


def log_loop_failure(log: TextIO | None, cause: str) -> None:
    """In the worker: an exception is escaping its own request loop (a grader bug)."""
    if log is not None:
        log.write(f"{LOOP_FAILURE_MARK}{cause}\n")
        log.flush()


def _private_opener(path: str, flags: int) -> int:
    return os.open(path, flags, 0o600)


def read_fault_log(path: Path) -> str:
    try:
        with path.open("rb") as f:
            return f.read(MAX_LOG_BYTES).decode("utf-8", "replace")
    except OSError:
        return ""


def innermost_frame(log: str) -> tuple[str, str] | None:
    """(file, function) of the crashing thread's innermost frame: faulthandler lists other
    threads first, then "Current thread ...", most recent call first."""
    current = log.find("Current thread")
    match = _FRAME.search(log, current if current >= 0 else 0)
    return (match["file"], match["func"]) if match else None


def torch_op(file: str, func: str) -> str | None:
    """A readable name for a frame inside torch's package, else None."""
    if TORCH_DIR is None or not Path(file).is_relative_to(TORCH_DIR):
        return None
    if func in {"_engine_run_backward", "backward", "run_backward"}:
        return "the backward pass (loss.backward())"
    return f"`{func}` (torch/{Path(file).relative_to(TORCH_DIR).as_posix()})"


def classify_crash(log: str, how: str, label: str) -> StudentCodeError:
    """The error for a worker that died with status `how` while running `label`."""
    for line in log.splitlines():
        if line.startswith(LOOP_FAILURE_MARK):
            cause = line[len(LOOP_FAILURE_MARK) :].strip()[:300]
            return GraderWorkerFailed(
                f"the grader's worker failed ({cause}) while running `{label}`; this is not "
                "your code's fault: please tell the course staff"
            )
    frame = innermost_frame(log)
    op = torch_op(*frame) if frame else None
    if op is not None:
        return PyTorchCrashed(
            f"PyTorch crashed in {op} ({how}) while running `{label}` ({KNOWN_ISSUE}, or "
            "another crash inside PyTorch itself); this is not your code's fault: keep the "
            "1x1 stride-2 convolution off channels_last tensors as the handout shows, and tell "
            "the course staff if it persists"
        )
    return WorkerCrashed(f"your code crashed ({how}) while running `{label}`")
