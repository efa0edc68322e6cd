"""Tell a worker's death inside PyTorch or the grader apart from a crash of student code.

The worker enables `faulthandler` on the write end of a pipe whose read end only the
parent holds (passed with the worker's socket): no regular file is ever open in the
worker, so student code has nothing on disk to scribble into for the grader to read back
later. After a crash the parent reads the Python frames from the pipe: when the innermost
frame is PyTorch's own code, the crash happened in a torch kernel, not in the student's
code; when no frame of the crashing thread is the student's (the grader's own worker code
crashed), or the worker loop itself failed, it is the grader's failure. Only a crash with
the student's code on the stack, or one that left no frames at all (the student's
`os._exit`, a signal sent by their code), is "your code crashed".
"""

from __future__ import annotations

import faulthandler
import importlib.util
import os
import re
from pathlib import Path

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


class FaultPipe:
    """The parent's end of a worker's fault log: a pipe whose write end the worker keeps.

    Both ends are non-blocking: a crashing worker never waits on a full pipe (what does not
    fit in its 64 KiB is dropped), and reading an empty one returns at once."""

    def __init__(self) -> None:
        self._read, self.write_fd = os.pipe()
        os.set_blocking(self._read, False)
        os.set_blocking(self.write_fd, False)

    def handed_over(self) -> None:
        """The worker has its copy of the write end: drop ours, so reading sees its end."""
        if self.write_fd >= 0:
            os.close(self.write_fd)
            self.write_fd = -1

    def read(self) -> str:
        """What the worker wrote, up to MAX_LOG_BYTES; "" if nothing (or already closed)."""
        chunks: list[bytes] = []
        size = 0
        while size < MAX_LOG_BYTES and self._read >= 0:
            try:
                chunk = os.read(self._read, MAX_LOG_BYTES - size)
            except OSError:  # BlockingIOError: nothing (more) was written
                break
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        return b"".join(chunks).decode("utf-8", "replace")

    def close(self) -> None:
        self.handed_over()
        if self._read >= 0:
            os.close(self._read)
            self._read = -1


def enable_fault_log(fd: int) -> int:
    """In the worker: faulthandler writes a fatal error's frames to the fault pipe `fd`."""
    faulthandler.enable(file=fd)
    return fd


def log_loop_failure(fd: int, cause: str) -> None:
    """In the worker: an exception is escaping its own request loop (a grader bug)."""
    try:
        os.write(fd, f"{LOOP_FAILURE_MARK}{cause}\n".encode("utf-8", "replace"))
    except OSError:
        pass  # the pipe is full or gone: the parent reports the bare exit status


def crashing_frames(log: str) -> list[tuple[str, str]]:
    """(file, function) of each frame of the crashing thread, innermost first: faulthandler
    lists other threads first, then "Current thread ...", most recent call first."""
    current = log.find("Current thread")
    if current >= 0:
        end = log.find("\nThread 0x", current)  # a later thread's block, if any
        block = log[current : end if end >= 0 else len(log)]
    else:
        block = log
    return [(m["file"], m["func"]) for m in _FRAME.finditer(block)]


def torch_op(file: str, func: str) -> str | None:
    """A readable name for a frame inside torch's package, else None."""
    if TORCH_DIR is None or not Path(file).is_relative_to(TORCH_DIR):
        return None
    if func in {"_engine_run_backward", "backward", "run_backward"}:
        return "the backward pass (loss.backward())"
    return f"`{func}` (torch/{Path(file).relative_to(TORCH_DIR).as_posix()})"


def classify_crash(
    log: str, how: str, label: str, student_dir: str | None = None
) -> StudentCodeError:
    """The error for a worker that died with status `how` while running `label`;
    `student_dir` is the worker's copy of the submission (its frames are the student's)."""
    for line in log.splitlines():
        if line.startswith(LOOP_FAILURE_MARK):
            cause = line[len(LOOP_FAILURE_MARK) :].strip()[:300]
            return GraderWorkerFailed(
                f"the grader's worker failed ({cause}) while running `{label}`; this is not "
                "your code's fault: please tell the course staff"
            )
    frames = crashing_frames(log)
    op = torch_op(*frames[0]) if frames else None
    if op is not None:
        return PyTorchCrashed(
            f"PyTorch crashed in {op} ({how}) while running `{label}` ({KNOWN_ISSUE}, or "
            "another crash inside PyTorch itself); this is not your code's fault: keep the "
            "1x1 stride-2 convolution off channels_last tensors as the handout shows, and tell "
            "the course staff if it persists"
        )
    if frames and student_dir and not any(_is_under(f, student_dir) for f, _ in frames):
        file, func = frames[0]
        return GraderWorkerFailed(
            f"the grader's worker crashed ({how}) in its own code (`{func}`, "
            f"{Path(file).name}) while running `{label}`; this is not your code's fault: "
            "please tell the course staff"
        )
    return WorkerCrashed(f"your code crashed ({how}) while running `{label}`")


def _is_under(file: str, folder: str) -> bool:
    return Path(file).is_relative_to(folder)
