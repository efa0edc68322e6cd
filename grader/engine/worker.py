"""The sandboxed worker: forked from the zygote, it imports the student package and serves
requests until the parent closes the socket.

Requests are `{"op": name, "args": <encoded>}`; answers are `{"ok": <encoded>}` or
`{"error": {...}}`, both with `"out"` (the student's new stdout/stderr). Objects that are
not plain data stay here in an object table; the parent gets a handle (id, kind, type).
Errors come back as plain data with the student's own traceback frames only.
"""

from __future__ import annotations

import importlib
import os
import random
import socket
import sys
import traceback
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import torch

from grader import sandbox
from grader.engine import crashes, protocol
from grader.engine.builtins import MODULE_BUILTINS
from grader.engine.capture import OutputCapture

MAX_TEXT = 2000  # characters of an error message or a name sent back


class MissingName(Exception):
    """A name the test asked for does not exist in the student's code."""


class Worker:
    def __init__(self, config: dict[str, Any]) -> None:
        self.package: str = config["package"]
        self.workdir = Path(config["workdir"])
        self.device: str = config.get("device", "cpu")
        self.known_modules = frozenset(config.get("modules", ()))  # the starter's module names
        self.objects: dict[int, Any] = {}
        self._next_id = 1
        # A snapshot taken before the student's package is imported: rebinding the
        # module-level table later does not reach this worker's dispatch.
        self._builtins = dict(MODULE_BUILTINS)

    # -- object table ------------------------------------------------------------------

    def handle_for(self, obj: Any) -> dict[str, Any]:
        ident = self._next_id
        self._next_id += 1
        self.objects[ident] = obj
        kind, type_name, label = _describe(obj, self.package)
        return {
            "$": "handle",
            "id": ident,
            "kind": kind,
            "type": type_name[:200],
            "label": label[:200],
        }

    def ref(self, ident: int) -> Any:
        if ident not in self.objects:
            raise LookupError(f"handle {ident} was released")
        return self.objects[ident]

    # -- operations --------------------------------------------------------------------

    def op_resolve(self, name: str) -> Any:
        """`student.<name>`: a submodule file of the package, else a name in its __init__."""
        pkg_dir = self.workdir / self.package
        if (pkg_dir / f"{name}.py").is_file() or (pkg_dir / name / "__init__.py").is_file():
            return importlib.import_module(f"{self.package}.{name}")
        package = importlib.import_module(self.package)
        if name in vars(package):
            return vars(package)[name]
        if name in self.known_modules:
            raise MissingName(f"{name}.py not found in your submission")
        raise MissingName(f"{name} not found in {self.package}/__init__.py")

    def op_getattr(self, ref: Any, name: str) -> Any:
        try:
            return getattr(ref, name)
        except AttributeError as exc:
            if _student_frames(exc, self.workdir):
                raise  # raised inside the student's own property
            where = (
                f"{ref.__name__.rsplit('.', 1)[-1]}.py"
                if isinstance(ref, ModuleType)
                else type(ref).__name__
            )
            raise MissingName(f"{name} not found in {where}") from None

    def op_call(self, ref: Any, args: list[Any], kwargs: dict[str, Any]) -> Any:
        return ref(*args, **kwargs)

    def op_builtin(self, ref: Any, name: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
        if not isinstance(ref, torch.nn.Module):
            raise TypeError(f"{name}() needs a torch.nn.Module, got a {type(ref).__name__}")
        if name == "predict":
            kwargs = {**kwargs, "device": self.device}
        if name not in self._builtins:
            raise LookupError(f"unknown built-in {name!r}")
        return self._builtins[name](ref, *args, **kwargs)

    def op_seed(self, seed: int) -> None:
        _seed(seed)

    def op_release(self, ids: list[int]) -> None:
        for ident in ids:
            self.objects.pop(ident, None)

    def dispatch(self, msg: dict[str, Any], bufs: list[memoryview]) -> Any:
        op = msg.get("op")
        handler = getattr(self, f"op_{op}", None)
        if handler is None:
            raise LookupError(f"unknown operation {op!r}")
        args = protocol.decode(
            msg.get("args", {"$": "dict", "items": []}), bufs, resolve_ref=self.ref
        )
        return handler(**args)


def _describe(obj: Any, package: str) -> tuple[str, str, str]:
    """(kind, qualified type name, short label) of an object that stays in the worker."""
    if isinstance(obj, ModuleType):
        return "pymodule", obj.__name__, obj.__name__.rsplit(".", 1)[-1] + ".py"
    if isinstance(obj, type):
        name = f"{obj.__module__}.{obj.__qualname__}"
        return "class", name, obj.__qualname__
    if isinstance(obj, torch.nn.Module):
        cls = type(obj)
        return "module", f"{cls.__module__}.{cls.__qualname__}", cls.__qualname__
    if callable(obj):
        label = getattr(obj, "__qualname__", None) or type(obj).__qualname__
        return "callable", f"{getattr(obj, '__module__', '')}.{label}", str(label)
    cls = type(obj)
    return "object", f"{cls.__module__}.{cls.__qualname__}", cls.__qualname__


def _student_frames(exc: BaseException, workdir: Path) -> list[traceback.FrameSummary]:
    root = str(workdir) + os.sep
    return [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.startswith(root)]


def _rel(path: str, workdir: Path, package: str) -> str:
    """'models.py' for <workdir>/hw1/models.py; other paths unchanged."""
    try:
        rel = Path(path).relative_to(workdir / package)
    except ValueError:
        try:
            return str(Path(path).relative_to(workdir))
        except ValueError:
            return Path(path).name
    return rel.as_posix()


def _safe_str(exc: BaseException) -> str:
    try:
        text = str(exc)
    except Exception:  # noqa: BLE001 - a student's __str__ may raise
        text = "<message could not be read>"
    return text[:MAX_TEXT]


def describe_error(exc: BaseException, worker: Worker) -> dict[str, Any]:
    """Plain data for an exception: kind, type, message, where, student-only traceback."""
    frames = _student_frames(exc, worker.workdir)
    for f in frames:
        f.filename = _rel(f.filename, worker.workdir, worker.package)
    tb = "".join(traceback.format_list(frames))[-8 * MAX_TEXT :]
    where = f"{frames[-1].filename} line {frames[-1].lineno}" if frames else ""
    kind = "exception"
    message = _safe_str(exc)
    if isinstance(exc, MissingName):
        kind = "missing"
    elif isinstance(exc, NotImplementedError):
        kind = "not_implemented"
    elif isinstance(exc, SyntaxError) and exc.filename:
        kind = "syntax"
        where = f"{_rel(exc.filename, worker.workdir, worker.package)} line {exc.lineno}"
        message = str(exc.msg)[:MAX_TEXT]
    elif isinstance(exc, SystemExit):
        kind = "exit"
        message = f"sys.exit({exc.code!r})"[:MAX_TEXT]
    elif isinstance(exc, protocol.EncodeError):
        kind = "invalid"
    return {
        "kind": kind,
        "type": type(exc).__name__[:200],
        "message": message,
        "where": where,
        "traceback": tb,
    }


def _sync_device() -> None:
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        torch.cuda.synchronize()


def _answer(
    worker: Worker, msg: Any, bufs: list[memoryview]
) -> tuple[dict[str, Any], list[memoryview]]:
    try:
        if type(msg) is not dict:
            raise LookupError("malformed request")
        value = worker.dispatch(msg, bufs)
        _sync_device()
        try:
            tree, out_bufs = protocol.encode(value, handle_for=worker.handle_for)
        except (ValueError, TypeError, RecursionError) as exc:
            raise protocol.EncodeError(f"returned a value the grader cannot read: {exc}") from None
        size = sum(len(b) for b in out_bufs)
        if size > protocol.MAX_MESSAGE_BYTES - protocol.MiB:
            raise protocol.EncodeError(
                f"returned {size / protocol.MiB:.0f} MiB of data; the limit is "
                f"{protocol.MAX_MESSAGE_BYTES // protocol.MiB} MiB"
            )
        return {"ok": tree}, out_bufs
    except BaseException as exc:  # noqa: BLE001 - every student failure becomes plain data
        return {"error": describe_error(exc, worker)}, []


def _deterministic() -> None:
    """torch.use_deterministic_algorithms(True, warn_only=True), minus its side effect of
    importing torch._inductor (5 s): the C flag is what eager kernels read."""
    flag = getattr(torch._C, "_set_deterministic_algorithms", None)
    if flag is not None:
        flag(True, warn_only=True)
    else:
        torch.use_deterministic_algorithms(True, warn_only=True)


def _seed(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % (1 << 32))
    torch.manual_seed(seed)


def serve(fd: int, fault_fd: int, config: dict[str, Any]) -> int:
    """Run in the forked child, serving on socket `fd`. Returns the exit code."""
    sock = socket.socket(fileno=fd)
    # the parent reads the fault pipe to tell a crash inside PyTorch or the grader from one
    # in student code (grader/engine/crashes.py)
    fault_log = crashes.enable_fault_log(fault_fd)
    try:
        policy = sandbox.SandboxPolicy(**config["policy"])
        workdir = Path(config["workdir"])
        sandbox.enter_child(policy, workdir)
        _seed(int(config.get("seed", 0)))
        _deterministic()
        torch.set_num_threads(max(1, int(config.get("threads", 1))))
        sys.path.insert(0, str(workdir))
        worker = Worker(config)
        capture = OutputCapture(int(config.get("output_cap", 64 * 1024)))
        capture.start()
        while True:
            try:
                msg, bufs = protocol.recv_message(sock)
            except protocol.PeerClosed:
                return 0
            reply, out_bufs = _answer(worker, msg, bufs)
            reply["out"] = capture.take()
            protocol.send_message(sock, reply, out_bufs)
    except BaseException as exc:  # set-up or the loop: the grader's own failure
        crashes.log_loop_failure(fault_log, f"{type(exc).__name__}: {_safe_str(exc)}")
        raise
