"""Parent side of the zygote: start it, ask it to fork workers, learn how they exited.

A reader thread collects the zygote's packets (fork replies and exit statuses), so several
workers may be alive at once (a test's worker plus a training worker).
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader import sandbox
from grader.errors import GraderError

READY_TIMEOUT_S = 180.0  # importing torch on a loaded 2-core machine can take a while
_SHARED: dict[tuple[int, tuple[str, ...]], Zygote] = {}
_SHARED_LOCK = threading.Lock()


@dataclass(frozen=True)
class ExitStatus:
    code: int | None
    signal: int | None

    def describe(self) -> str:
        """'SIGSEGV' or 'exit code 3'."""
        if self.signal is not None:
            try:
                name = signal.Signals(self.signal).name
            except ValueError:
                name = f"signal {self.signal}"
            hints = {
                "SIGKILL": ", possibly out of memory",
                "SIGXCPU": ": CPU time limit",
                "SIGXFSZ": ": file size limit",
            }
            return name + hints.get(name, "")
        return f"exit code {self.code}"


def shared_zygote(threads: int, preload: tuple[str, ...] = ()) -> Zygote:
    """The zygote for `threads` that has also imported `preload`, started on first use and
    kept for later grading runs in this process (it never runs student code, so nothing
    leaks from one run to the next)."""
    key = (threads, tuple(sorted(preload)))
    with _SHARED_LOCK:
        zygote = _SHARED.get(key)
        if zygote is None or not zygote.alive:
            workdir = Path(tempfile.mkdtemp(prefix="grader-zygote-"))
            workdir.chmod(0o711)  # workers running as the sandbox user start in here
            zygote = Zygote(threads, workdir, preload=key[1], owns_workdir=True)
            _SHARED[key] = zygote
        return zygote


@atexit.register
def _close_shared() -> None:
    with _SHARED_LOCK:
        for zygote in _SHARED.values():
            zygote.close()
        _SHARED.clear()


class Zygote:
    def __init__(
        self,
        threads: int,
        workdir: Path,
        *,
        preload: tuple[str, ...] = (),
        owns_workdir: bool = False,
    ) -> None:
        self.threads = threads
        self.workdir = workdir
        self._owns_workdir = owns_workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.log_path = workdir / "zygote.log"
        self._ctrl, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        with open(self.log_path, "wb") as log:
            self._proc = subprocess.Popen(
                [sys.executable, "-I", "-m", "grader.engine.zygote", str(child.fileno()), *preload],
                pass_fds=[child.fileno()],
                env=sandbox.worker_env(threads),
                cwd=workdir,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
            )
        child.close()
        self._cond = threading.Condition()
        self._ready = False
        self._dead = False
        self._replies: dict[int, dict[str, Any]] = {}
        self._exits: dict[int, ExitStatus] = {}
        self._next_id = 1
        self._send_lock = threading.Lock()
        threading.Thread(target=self._read_loop, name="grader-zygote", daemon=True).start()

    @property
    def pid(self) -> int:
        return self._proc.pid

    @property
    def alive(self) -> bool:
        return not self._dead and self._proc.poll() is None

    def _read_loop(self) -> None:
        while True:
            try:
                data = self._ctrl.recv(1 << 16)
            except OSError:
                data = b""
            with self._cond:
                if not data:
                    self._dead = True
                    self._cond.notify_all()
                    return
                msg = json.loads(data)
                op = msg.get("op")
                if op == "ready":
                    self._ready = True
                elif op in ("forked", "fork_failed"):
                    self._replies[int(msg["id"])] = msg
                    if op == "forked":  # a reused pid: forget the old worker's status
                        self._exits.pop(int(msg["pid"]), None)
                elif op == "exit":
                    self._exits[int(msg["pid"])] = ExitStatus(msg["code"], msg["signal"])
                self._cond.notify_all()

    def wait_ready(self, timeout: float = READY_TIMEOUT_S) -> None:
        with self._cond:
            self._cond.wait_for(lambda: self._ready or self._dead, timeout)
            if not self._ready:
                raise GraderError(f"the grading zygote did not start: {self._log_tail()}")

    def fork(self, config: dict[str, Any], worker_sock: socket.socket, fault_fd: int) -> int:
        """Fork a worker serving on `worker_sock` and logging fatal errors to `fault_fd` (the
        zygote gets copies of both); returns its pid."""
        return self.forked_pid(self.request_fork(config, worker_sock, fault_fd))

    def request_fork(
        self, config: dict[str, Any], worker_sock: socket.socket, fault_fd: int
    ) -> int:
        """Ask for a worker without waiting for it; `forked_pid(id)` gives its pid later."""
        self.wait_ready()
        with self._send_lock:
            ident = self._next_id
            self._next_id += 1
            payload = json.dumps({"op": "fork", "id": ident, "config": config}).encode()
            try:
                socket.send_fds(self._ctrl, [payload], [worker_sock.fileno(), fault_fd])
            except OSError as exc:
                raise GraderError(
                    f"the grading zygote is gone ({exc}): {self._log_tail()}"
                ) from None
        return ident

    def forked_pid(self, ident: int) -> int:
        """The pid of the worker asked for by `request_fork`; GraderError if it failed."""
        with self._cond:
            self._cond.wait_for(lambda: ident in self._replies or self._dead, 60.0)
            reply = self._replies.pop(ident, None)
        if reply is None or reply["op"] != "forked":
            why = reply.get("error") if reply else self._log_tail()
            raise GraderError(f"could not start a grading worker: {why}")
        return int(reply["pid"])

    def exit_status(self, pid: int, timeout: float) -> ExitStatus | None:
        """How worker `pid` ended, waiting up to `timeout` s for the zygote to reap it."""
        with self._cond:
            self._cond.wait_for(lambda: pid in self._exits or self._dead, timeout)
            return self._exits.get(pid)

    def _log_tail(self) -> str:
        try:
            text = self.log_path.read_text(errors="replace").strip().splitlines()
        except OSError:
            return "no log"
        return text[-1] if text else f"exit status {self._proc.poll()}"

    def close(self) -> None:
        """Close the control socket; the zygote kills its workers and exits."""
        try:
            self._ctrl.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._ctrl.close()
        deadline = time.monotonic() + 5.0
        while self._proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        if self._proc.poll() is None:
            os.kill(self._proc.pid, signal.SIGKILL)
            self._proc.wait()
        if self._owns_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)
