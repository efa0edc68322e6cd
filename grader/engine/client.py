"""Parent side of one worker: send a request, wait for the answer under a deadline, turn
failures into the `StudentCodeError` a test should score 0 with.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from typing import Any

from grader import sandbox
from grader.engine import crashes, protocol
from grader.engine.usage import (
    MachineLoad,
    TreeMeter,
    TreeUsage,
    machine_busy_fraction,
    memory_limit_bytes,
)
from grader.engine.zygote_client import Zygote
from grader.errors import (
    GraderSideFailure,
    InvalidValue,
    MissingAttribute,
    NotImplementedYet,
    StudentCodeError,
    StudentException,
    WorkerCrashed,
    WorkerTimeout,
)

DEFAULT_TEST_TIMEOUT_S = 10.0
EXIT_STATUS_WAIT_S = 3.0  # how long to wait for the zygote to report a dead worker's status
CLOSE_GRACE_S = 2.0  # a closed worker that has not exited by then is killed
# The wall clock is only a backstop against code that sleeps or blocks: a call is stopped
# after BACKSTOP_FACTOR x its limit + BACKSTOP_SLACK_S, and earlier when it has been idle
# (neither computing nor waiting for a CPU) for most of IDLE_GRACE_S past its limit.
BACKSTOP_FACTOR = 3.0
BACKSTOP_SLACK_S = 30.0
IDLE_GRACE_S = 5.0
IDLE_FRACTION = 0.1  # below this share of the wall clock spent computing, a call is idle
# A call whose threads spent this share of the wall clock waiting for a CPU ran on an
# overloaded machine: a backstop hit is then the grader's problem, not the student's.
STARVED_FRACTION = 0.25
BUSY_MACHINE_FRACTION = 0.9
POLL_FIRST_S = 0.02  # the first CPU check; later ones back off to POLL_MAX_S
POLL_MAX_S = 0.2


# Who hears how far a long CPU-charged call has come: (label, CPU s used, CPU s allowed).
CallProgress = Callable[[str, float, float], None]
_progress_listeners: list[CallProgress] = []


@contextlib.contextmanager
def progress_to(listener: CallProgress) -> Iterator[None]:
    """While the block runs, `listener` hears of every CPU-charged call's progress, at each
    CPU check (a live report shows training's CPU time against its budget)."""
    _progress_listeners.append(listener)
    try:
        yield
    finally:
        _progress_listeners.remove(listener)


def _tell_progress(label: str, used_s: float, limit_s: float) -> None:
    for listener in list(_progress_listeners):
        try:
            listener(label, used_s, limit_s)
        except Exception:  # noqa: BLE001 - a display problem must never change a grade
            pass


def fmt_seconds(seconds: float) -> str:
    return f"{seconds:.0f}" if seconds >= 10 or float(seconds).is_integer() else f"{seconds:.1f}"


@dataclass(frozen=True)
class CallLimit:
    """How long one call into the worker may run.

    `seconds` is the limit as a suite states it: what the call may take on an idle machine.
    With `cpu_s` set (CPU devices) the call is charged the CPU time of the worker's whole
    process tree, which other processes on a busy machine cannot spend; the wall clock only
    backs it up at `backstop_s`. Without it (GPU devices) `seconds` is a wall-clock limit.
    """

    seconds: float
    cpu_s: float | None
    backstop_s: float

    @classmethod
    def make(cls, seconds: float, *, threads: int | None, cpu_s: float | None = None) -> CallLimit:
        """`threads` is None where CPU time is not the currency (GPU devices); otherwise a
        call may use `seconds` of all its threads unless `cpu_s` says otherwise."""
        if threads is None:
            return cls(seconds=seconds, cpu_s=None, backstop_s=seconds)
        cpu = cpu_s if cpu_s is not None else seconds * max(1, threads)
        backstop = BACKSTOP_FACTOR * max(seconds, cpu / max(1, threads)) + BACKSTOP_SLACK_S
        return cls(seconds, cpu, backstop)

    def describe(self) -> str:
        if self.cpu_s is None:
            return f"{fmt_seconds(self.seconds)} s"
        return f"{fmt_seconds(self.cpu_s)} s of CPU time"


@dataclass
class CallUsage:
    """What the last call used: wall seconds and, where measured, CPU seconds of the tree."""

    wall_s: float = 0.0
    cpu_s: float | None = None


class WorkerClient:
    """One sandboxed worker. Not thread-safe: one request at a time."""

    def __init__(
        self,
        zygote: Zygote,
        config: dict[str, Any],
        policy: sandbox.SandboxPolicy,
        timeout_s: float = DEFAULT_TEST_TIMEOUT_S,
        *,
        cpu_threads: int | None = None,
    ) -> None:
        """`cpu_threads`: the worker's thread count where limits are charged in CPU time
        (CPU devices), None where they are wall-clock limits (GPUs)."""
        self.zygote = zygote
        self.policy = policy
        self.timeout_s = float(timeout_s)
        self.cpu_threads = cpu_threads
        self.last_usage = CallUsage()
        self._meter: TreeMeter | None = None
        self._delay_start: float | None = None  # the tree's run delay early in this call
        self.output_cap = int(config.get("output_cap", 64 * 1024))
        self.output = ""  # the student's stdout/stderr, first `output_cap` characters
        self.output_dropped = 0  # bytes printed beyond the cap
        self._parent_dropped = 0
        self._limits: list[CallLimit] = []
        self._failure: StudentCodeError | None = None
        self._closed = False
        self._pid: int | None = None
        self._fault_log = crashes.FaultPipe()
        self._student_dir = str(config.get("workdir") or "") or None  # its frames: the student's
        parent_end, child_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        config = {**config, "policy": _policy_dict(policy)}
        try:
            # no wait for the zygote's reply: the pid is needed only to kill or explain a death
            self._fork_id = zygote.request_fork(config, child_end, self._fault_log.write_fd)
        except BaseException:
            self._fault_log.close()
            raise
        finally:
            child_end.close()
            self._fault_log.handed_over()
        self._sock = parent_end

    @property
    def pid(self) -> int:
        """The worker's pid (its sandbox relay's, which mirrors how the worker exits)."""
        if self._pid is None:
            self._pid = self.zygote.forked_pid(self._fork_id)
        return self._pid

    # -- time limits ---------------------------------------------------------------------

    @contextlib.contextmanager
    def time_limit(self, seconds: float, *, cpu_s: float | None = None) -> Iterator[None]:
        """Every call inside the block may run `seconds` (instead of the test's limit).

        On CPU devices that is charged as CPU time: `seconds` of every worker thread, or
        `cpu_s` CPU seconds when given (a training budget from the calibration)."""
        if not seconds > 0 or (cpu_s is not None and not cpu_s > 0):
            raise ValueError(f"time_limit needs a positive number of seconds, got {seconds!r}")
        self._limits.append(CallLimit.make(float(seconds), threads=self.cpu_threads, cpu_s=cpu_s))
        try:
            yield
        finally:
            self._limits.pop()

    @property
    def current_limit(self) -> CallLimit:
        if self._limits:
            return self._limits[-1]
        return CallLimit.make(self.timeout_s, threads=self.cpu_threads)

    @property
    def current_limit_s(self) -> float:
        return self.current_limit.seconds

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
        limit = self.current_limit
        start = time.monotonic()
        deadline = start + limit.backstop_s
        meter = self._tree_meter() if limit.cpu_s is not None else None
        before = meter.sample() if meter is not None else None
        load_before = MachineLoad.now()
        self.last_usage = CallUsage()
        self._delay_start = None
        try:
            protocol.send_message(self._sock, {"op": op, "args": tree}, bufs, deadline)
            if meter is not None and before is not None:
                self._await_within_cpu(limit, meter, before, start, label)
            msg, rbufs = protocol.recv_message(self._sock, deadline)
        except protocol.DeadlineExceeded:
            self._fail(self._backstop_error(limit, label, start, before, load_before))
        except protocol.PeerClosed:
            self._fail(self._crash(label))
        except protocol.ProtocolError as exc:  # oversized or malformed
            self._fail(InvalidValue(f"`{label}` returned a value the grader cannot read ({exc})"))
        self.last_usage.wall_s = time.monotonic() - start
        if meter is not None and before is not None:
            self.last_usage.cpu_s = meter.sample().cpu_s - before.cpu_s
        reply = self._check_reply(msg, label)
        if "error" in reply:
            error = _student_error(reply["error"], label)
            if _is_out_of_memory(reply["error"]):
                error.student_message = (
                    f"ran out of memory while running `{label}` "
                    f"({error.student_message.removeprefix('your code raised ')})"
                    f"{self._memory_figures()}"
                )
            raise error
        return protocol.decode(reply["ok"], rbufs, make_handle=make_handle)

    # -- CPU-time accounting -------------------------------------------------------------

    def _tree_meter(self) -> TreeMeter:
        if self._meter is None:
            self._meter = TreeMeter(self.pid)
        return self._meter

    def _await_within_cpu(
        self, limit: CallLimit, meter: TreeMeter, before: TreeUsage, start: float, label: str
    ) -> None:
        """Wait until the answer starts to arrive, charging the tree's CPU time meanwhile.

        Returns when the socket is readable (an answer, or EOF when the worker died); kills
        the worker past its CPU limit or when it has sat idle well past its limit."""
        assert limit.cpu_s is not None
        poller = select.poll()
        poller.register(self._sock, select.POLLIN | select.POLLHUP | select.POLLERR)
        interval = POLL_FIRST_S
        while True:
            remaining = start + limit.backstop_s - time.monotonic()
            if remaining <= 0:
                return  # recv_message raises DeadlineExceeded: the backstop
            if poller.poll(1000 * min(interval, remaining)):
                return
            interval = min(2 * interval, POLL_MAX_S)
            now = meter.sample()
            used = now.cpu_s - before.cpu_s
            self.last_usage.cpu_s = used
            _tell_progress(label, used, limit.cpu_s)
            if used > limit.cpu_s:
                self._fail(
                    WorkerTimeout(
                        f"timed out after {fmt_seconds(limit.cpu_s)} s of CPU time in `{label}`",
                        limit.cpu_s,
                        time.monotonic() - start,
                    )
                )
            if self._delay_start is None:  # the first check: the call is not a quick one
                self._delay_start = meter.sample(with_delay=True).run_delay_s
            wall = time.monotonic() - start
            if wall > limit.seconds + IDLE_GRACE_S and interval >= POLL_MAX_S:
                waited = meter.sample(with_delay=True).run_delay_s - self._delay_start
                if used + waited < IDLE_FRACTION * wall:
                    self._fail(
                        WorkerTimeout(
                            f"timed out after {fmt_seconds(wall)} s in `{label}`: your code "
                            f"was idle (sleeping or blocked), it computed for only "
                            f"{used:.1f} s",
                            limit.seconds,
                            wall,
                        )
                    )

    def _backstop_error(
        self,
        limit: CallLimit,
        label: str,
        start: float,
        before: TreeUsage | None,
        load_before: MachineLoad | None,
    ) -> StudentCodeError:
        """The wall clock ran out: the student's fault, unless the machine was overloaded."""
        wall = time.monotonic() - start
        used, waited = self.last_usage.cpu_s, None
        if before is not None and self._meter is not None:
            now = self._meter.sample(with_delay=True)
            used = now.cpu_s - before.cpu_s
            if self._delay_start is not None:
                waited = now.run_delay_s - self._delay_start
        starved = _machine_overloaded(load_before, MachineLoad.now(), waited, wall)
        if starved:
            return GraderSideFailure(
                f"the grading machine was overloaded: `{label}` got "
                f"{'some' if used is None else f'only {used:.1f} s of'} CPU time in "
                f"{fmt_seconds(wall)} s and was stopped. This is not your code's fault; "
                "the course staff will regrade it (or resubmit)."
            )
        if limit.cpu_s is None:
            text = f"timed out after {fmt_seconds(limit.seconds)} s in `{label}`"
        else:
            text = (
                f"timed out after {fmt_seconds(wall)} s in `{label}`, having used "
                f"{0.0 if used is None else used:.1f} s of its {limit.describe()}: "
                "is your code sleeping or waiting for something?"
            )
        return WorkerTimeout(text, limit.seconds, wall)

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
        if status is not None and status.signal == signal.SIGKILL:
            # Nobody in the grader sent it (our own kills go through _fail): the kernel's
            # out-of-memory killer is what SIGKILLs a process on its own.
            return WorkerCrashed(
                f"ran out of memory while running `{label}`: the worker was killed by the "
                f"system (SIGKILL){self._memory_figures()}"
            )
        how = status.describe() if status is not None else "the worker process died"
        return crashes.classify_crash(self._fault_log.read(), how, label, self._student_dir)

    def _memory_figures(self) -> str:
        """ "; limit 1536 MB, peak 1490 MB" from the environment and what the meter saw."""
        limit = memory_limit_bytes()
        peak = self._meter.peak_rss_bytes if self._meter is not None else 0
        parts = [f"limit {limit >> 20} MB"] if limit else []
        if peak:
            parts.append(f"peak {peak >> 20} MB")
        return "; " + ", ".join(parts) if parts else ""

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
        self._close_channels()

    def _close_channels(self) -> None:
        with contextlib.suppress(OSError):
            self._sock.close()
        self._fault_log.close()

    def abandon(self) -> None:
        """Drop a worker that never served a request: closing its socket makes it exit."""
        self._closed = True
        self._close_channels()

    def close(self) -> None:
        """End the worker and anything it started, without waiting. Safe to call twice.

        Closing the socket makes an idle worker exit at once (its relay then kills what it
        left behind); a worker that is still busy after CLOSE_GRACE_S is killed."""
        if self._closed:
            return
        self._closed = True
        self._close_channels()
        if self._failure is None:
            threading.Thread(target=self._reap, name=f"grader-reap-{self.pid}", daemon=True).start()

    def _reap(self) -> None:
        if self.zygote.exit_status(self.pid, CLOSE_GRACE_S) is None and self.zygote.alive:
            self._kill()

    def __enter__(self) -> WorkerClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _machine_overloaded(
    before: MachineLoad | None, after: MachineLoad | None, waited_s: float | None, wall_s: float
) -> bool:
    """Whether a call that ran out of wall-clock time was starved by other processes: its
    threads waited for a CPU for a good share of the time (schedstat), or every CPU of the
    machine was busy while it did not get (or we could not see) its share."""
    if wall_s <= 0:
        return False
    if waited_s is not None and waited_s >= STARVED_FRACTION * wall_s:
        return True
    busy = machine_busy_fraction(before, after)
    return (
        busy is not None
        and busy >= BUSY_MACHINE_FRACTION
        and (waited_s is None or waited_s > 0.05 * wall_s)
    )


def _policy_dict(policy: sandbox.SandboxPolicy) -> dict[str, Any]:
    """The policy as JSON for the zygote (tuples travel as lists)."""
    out = {}
    for key, value in asdict(policy).items():
        if isinstance(value, (tuple, list)):
            value = list(value)
        json.dumps(value)  # a field the zygote could not rebuild fails here, loudly
        out[key] = value
    return out


def _is_out_of_memory(err: dict[str, Any]) -> bool:
    """MemoryError, or PyTorch's allocator refusing (RLIMIT_AS, a cgroup near its limit)."""
    message = str(err.get("message", ""))
    return err.get("type") == "MemoryError" or "can't allocate memory" in message


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
