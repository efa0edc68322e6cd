"""The zygote: a process that has imported torch once and forks one worker per request.

Started by the parent as `python -I -m grader.engine.zygote <control-fd> [module ...]`
(the modules to import besides torch) with the minimal
environment of `grader.sandbox.worker_env`. It never touches CUDA, so a forked worker may
still initialise it. The control socket is a SOCK_SEQPACKET pair; every packet is one JSON
object:

    parent -> zygote   {"op": "fork", "id": n, "config": {...}}
                       + the worker's socket and its fault pipe's write end (SCM_RIGHTS)
    zygote -> parent   {"op": "ready", "pid": p}
                       {"op": "forked", "id": n, "pid": p}
                       {"op": "fork_failed", "id": n, "error": s}
                       {"op": "exit", "pid": p, "code": c | None, "signal": s | None}

When the parent closes the control socket the zygote kills its workers and exits.
"""

from __future__ import annotations

import importlib
import json
import os
import select
import signal
import socket
import sys
from typing import Any

MAX_PACKET = 1 << 16


def _warm_up(preload: list[str]) -> None:
    import numpy
    import torch

    torch.set_num_threads(1)  # the zygote never runs parallel kernels: fork stays safe
    (torch.zeros(4) + 1).sum().item()
    torch.manual_seed(0)
    numpy.random.seed(0)  # numpy.random loads lazily: 12 ms of CPU in every worker otherwise
    # The first optimizer step imports torch._dynamo (1.4 s): pay it once here, not in
    # every training worker.
    weight = torch.zeros(2, requires_grad=True)
    optimizer = torch.optim.SGD([weight], lr=0.1, momentum=0.9)
    (weight * 2).sum().backward()
    optimizer.step()
    import grader.engine.worker  # noqa: F401  (the worker's code, pre-imported)

    for optional in preload:  # e.g. torchvision: imported once here, not in every worker
        try:
            importlib.import_module(optional)
        except Exception:  # noqa: BLE001 - a missing or broken extra only costs its import later
            pass


def _send(ctrl: socket.socket, msg: dict[str, Any]) -> None:
    ctrl.send(json.dumps(msg).encode())


def _reap(ctrl: socket.socket, children: set[int]) -> None:
    while children:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        children.discard(pid)
        code = os.waitstatus_to_exitcode(status)
        msg = {
            "op": "exit",
            "pid": pid,
            "code": code if code >= 0 else None,
            "signal": -code if code < 0 else None,
        }
        _send(ctrl, msg)


def _fork_worker(
    ctrl: socket.socket, wake: tuple[int, int], request: dict[str, Any], fds: list[int]
) -> int:
    fd, fault_fd = fds
    pid = os.fork()
    if pid == 0:  # the worker
        code = 70
        try:
            signal.set_wakeup_fd(-1)
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            ctrl.close()
            os.close(wake[0])
            os.close(wake[1])
            # Only stdin/stdout/stderr, the worker's socket and its fault pipe cross into the
            # worker: not the zygote log (whose last line the parent quotes), not any other
            # descriptor. The worker's stdout/stderr are redirected before student code runs.
            _close_all_but({fd, fault_fd})
            from grader.engine.worker import serve

            code = serve(fd, fault_fd, request["config"])
        except BaseException:  # noqa: BLE001 - an engine bug: leave a trace in zygote.log
            import traceback

            traceback.print_exc(file=sys.__stderr__)  # fd 2: zygote.log until captured
        finally:
            os._exit(code)
    for kept in fds:
        os.close(kept)
    return pid


def _close_all_but(keep: set[int]) -> None:
    low = 3
    for fd in sorted(keep):
        os.closerange(low, fd)
        low = fd + 1
    os.closerange(low, _max_fd())


def _max_fd() -> int:
    try:
        return int(os.sysconf("SC_OPEN_MAX"))
    except (ValueError, OSError):
        return 1 << 16


def _kill_all(children: set[int]) -> None:
    for pid in children:
        for kill in (os.killpg, os.kill):  # the worker is its own group leader after setsid
            try:
                kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


def serve(ctrl: socket.socket) -> None:
    wake = os.pipe()
    os.set_blocking(wake[0], False)
    os.set_blocking(wake[1], False)
    signal.set_wakeup_fd(wake[1])
    signal.signal(signal.SIGCHLD, lambda *_: None)  # a handler, so the wakeup fd is written
    children: set[int] = set()
    _send(ctrl, {"op": "ready", "pid": os.getpid()})
    try:
        while True:
            readable, _, _ = select.select([ctrl.fileno(), wake[0]], [], [])
            if wake[0] in readable:
                while True:
                    try:
                        if not os.read(wake[0], 512):
                            break
                    except BlockingIOError:
                        break
                _reap(ctrl, children)
            if ctrl.fileno() in readable:
                data, fds, _, _ = socket.recv_fds(ctrl, MAX_PACKET, 4)
                if not data:
                    return  # the parent is gone
                request = json.loads(data)
                if request.get("op") != "fork" or len(fds) != 2:
                    for fd in fds:
                        os.close(fd)
                    _send(
                        ctrl, {"op": "fork_failed", "id": request.get("id"), "error": "bad request"}
                    )
                    continue
                try:
                    pid = _fork_worker(ctrl, wake, request, fds)
                except OSError as exc:
                    for fd in fds:
                        os.close(fd)
                    _send(ctrl, {"op": "fork_failed", "id": request["id"], "error": str(exc)})
                    continue
                children.add(pid)
                _send(ctrl, {"op": "forked", "id": request["id"], "pid": pid})
                _reap(ctrl, children)
    finally:
        _kill_all(children)


def main() -> None:
    ctrl = socket.socket(fileno=int(sys.argv[1]))
    _die_with_parent()
    _warm_up(sys.argv[2:])
    try:
        serve(ctrl)
    except (BrokenPipeError, ConnectionResetError):
        pass


def _die_with_parent() -> None:
    """Linux: SIGKILL this process if the grader dies without closing the socket."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        if os.getppid() == 1:
            os._exit(0)
    except (OSError, AttributeError):
        pass


if __name__ == "__main__":
    main()
