"""Parent side of one worker: send a request, wait for the answer under a deadline, turn
failures into the `StudentCodeError` a test should score 0 with.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

from grader import sandbox
from grader.engine import crashes, protocol
from grader.engine.zygote_client import Zygote
from grader.errors import (
    InvalidValue,
    MissingAttribute,
    NotImplementedYet,
    StudentCodeError,
    StudentException,
    WorkerTimeout,
)

DEFAULT_TEST_TIMEOUT_S = 10.0
EXIT_STATUS_WAIT_S = 3.0  # how long to wait for the zygote to report a dead worker's status
CLOSE_GRACE_S = 2.0  # a closed worker that has not exited by then is killed


def fmt_seconds(seconds: float) -> str:
    return f"{seconds:.0f}" if seconds >= 10 or float(seconds).is_integer() else f"{seconds:.1f}"


class WorkerClient:
    """One sandboxed worker. Not thread-safe: one request at a time."""

    def __init__(
        self,
        zygote: Zygote,
        config: dict[str, Any],
        policy: sandbox.SandboxPolicy,
        timeout_s: float = DEFAULT_TEST_TIMEOUT_S,
    ) -> None:
        self.zygote = zygote
        self.policy = policy
        self.timeout_s = float(timeout_s)
        self.output_cap = int(config.get("output_cap", 64 * 1024))
        self.output = ""  # the student's stdout/stderr, first `output_cap` characters
        self.output_dropped = 0  # bytes printed beyond the cap
        self._parent_dropped = 0
        self._limits: list[float] = []
        self._failure: StudentCodeError | None = None
        self._closed = False
        self._pid: int | None = None
        self._fault_log = crashes.fault_log_path(Path(config["workdir"]))
        parent_end, child_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        config = {**config, "policy": _policy_dict(policy)}
        try:
            # no wait for the zygote's reply: the pid is needed only to kill or explain a death
            self._fork_id = zygote.request_fork(config, child_end)
        finally:
            child_end.close()
        self._sock = parent_end

    @property
    def pid(self) -> int:
        """The worker's pid (its sandbox relay's, which mirrors how the worker exits)."""
        if self._pid is None:
            self._pid = self.zygote.forked_pid(self._fork_id)
        return self._pid

    # -- time limits ---------------------------------------------------------------------

    @contextlib.contextmanager
    def time_limit(self, seconds: float) -> Iterator[None]:
        """Every call inside the block may run `seconds` (instead of the test's limit)."""
        if not seconds > 0:
            raise ValueError(f"time_limit needs a positive number of seconds, got {seconds!r}")
        self._limits.append(float(seconds))
        try:
            yield
        finally:
            self._limits.pop()

    @property
    def current_limit_s(self) -> float:
        return self._limits[-1] if self._limits else self.timeout_s

    # -- requests ------------------------------------------------------------------------

    def request(
        self,
        op: str,
        args: dict[str, Any],
        label: str,
        make_handle: Callable[[dict[str, Any]], Any] | None = None,
        ref_for: Callable[[Any], int | None] | None = None,
    ) -> Any:
        """Run `op` in the worker; `label` names the student's code in error messages."""
        __tracebackhide__ = True  # a failing hidden test points at its own line, not here
        if self._failure is not None:
            raise self._failure
        if self._closed:
            raise RuntimeError("this worker was closed; spawn a new one")
        try:
            tree, bufs = protocol.encode(args, ref_for=ref_for)
        except ValueError as exc:
            raise ValueError(
                f"cannot send the arguments of `{label}` to the worker: {exc}"
            ) from None
        limit = self.current_limit_s
        start = time.monotonic()
        try:
            protocol.send_message(self._sock, {"op": op, "args": tree}, bufs, start + limit)
            msg, rbufs = protocol.recv_message(self._sock, start + limit)
        except protocol.DeadlineExceeded:
            self._fail(
                WorkerTimeout(
                    f"timed out after {fmt_seconds(limit)} s in `{label}`",
                    limit,
                    time.monotonic() - start,
                )
            )
        except protocol.PeerClosed:
            self._fail(self._crash(label))
        except protocol.ProtocolError as exc:  # oversized or malformed
            self._fail(InvalidValue(f"`{label}` returned a value the grader cannot read ({exc})"))
        reply = self._check_reply(msg, label)
        if "error" in reply:
            raise _student_error(reply["error"], label)
        return protocol.decode(reply["ok"], rbufs, make_handle=make_handle)

    def _check_reply(self, msg: Any, label: str) -> dict[str, Any]:
        if type(msg) is not dict or ("ok" not in msg and type(msg.get("error")) is not dict):
            self._fail(InvalidValue(f"the worker sent a malformed answer to `{label}`"))
        out = msg.get("out")
        if type(out) is dict and type(out.get("text")) is str and type(out.get("dropped")) is int:
            room = max(0, self.output_cap - len(self.output))
            self.output += out["text"][:room]
            self._parent_dropped += max(0, len(out["text"]) - room)
            self.output_dropped = max(0, out["dropped"]) + self._parent_dropped
        return msg

    def _crash(self, label: str) -> StudentCodeError:
        status = self.zygote.exit_status(self.pid, EXIT_STATUS_WAIT_S)
        how = status.describe() if status is not None else "the worker process died"
        return crashes.classify_crash(crashes.read_fault_log(self._fault_log), how, label)

    def _fail(self, error: StudentCodeError) -> Any:
        """Kill the worker and remember why; later calls raise the same error."""
        self._failure = error
        self._kill()
        raise error

    # -- shutdown ------------------------------------------------------------------------

    def _kill(self) -> None:
        if self.zygote.exit_status(self.pid, 0) is None:
            sandbox.kill_tree(self.pid, self.policy)
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(self.pid, signal.SIGKILL)  # in case it died before its setsid
        with contextlib.suppress(OSError):
            self._sock.close()

    def abandon(self) -> None:
        """Drop a worker that never served a request: closing its socket makes it exit."""
        self._closed = True
        with contextlib.suppress(OSError):
            self._sock.close()

    def close(self) -> None:
        """End the worker and anything it started, without waiting. Safe to call twice.

        Closing the socket makes an idle worker exit at once (its relay then kills what it
        left behind); a worker that is still busy after CLOSE_GRACE_S is killed."""
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(OSError):
            self._sock.close()
        if self._failure is None:
            threading.Thread(target=self._reap, name=f"grader-reap-{self.pid}", daemon=True).start()

    def _reap(self) -> None:
        if self.zygote.exit_status(self.pid, CLOSE_GRACE_S) is None and self.zygote.alive:
            self._kill()

    def __enter__(self) -> WorkerClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _policy_dict(policy: sandbox.SandboxPolicy) -> dict[str, Any]:
    """The policy as JSON for the zygote (tuples travel as lists)."""
    out = {}
    for key, value in asdict(policy).items():
        if isinstance(value, (tuple, list)):
            value = list(value)
        json.dumps(value)  # a field the zygote could not rebuild fails here, loudly
        out[key] = value
    return out


def _student_error(err: dict[str, Any], label: str) -> StudentCodeError:
    """The exception a test sees for an error the worker reported."""
    kind = str(err.get("kind", "exception"))
    exc_type = str(err.get("type", "Exception"))[:100]
    message = str(err.get("message", ""))
    first_line = (message.strip().splitlines() or [""])[0][:300]
    where = str(err.get("where", ""))[:200]
    detail = ""
    if err.get("traceback"):
        detail = f"Traceback (your code only):\n{err['traceback']}{exc_type}: {message}"[:20000]
    if kind == "not_implemented":
        return NotImplementedYet(f"not implemented yet: {first_line or f'`{label}`'}", detail)
    if kind == "missing":
        return MissingAttribute(first_line, detail, exc_type="AttributeError")
    if kind == "syntax":
        return StudentException(
            f"{where}: SyntaxError: {first_line}", detail, exc_type="SyntaxError"
        )
    if kind == "exit":
        return StudentException(
            f"your code called {first_line} while running `{label}`", detail, exc_type="SystemExit"
        )
    if kind == "invalid":
        return InvalidValue(f"`{label}` {first_line}", detail)
    at = f" ({where})" if where else ""
    text = (
        f"your code raised {exc_type}: {first_line}"
        if first_line
        else f"your code raised {exc_type}"
    )
    return StudentException(f"{text}{at} in `{label}`", detail, exc_type=exc_type)
