"""Handles on the student's objects inside the worker (see docs/contracts.md, section 3).

`student.models.LinearClassifier()` is a `RemoteModule`; calling it sends the tensors and
brings back fresh tensors. Attribute access is a round trip: plain data comes back by
value, anything else as a new handle.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import torch

from grader.engine.client import WorkerClient
from grader.errors import InvalidValue

_Module = TypeVar("_Module", bound="ModuleBuiltins")


@dataclass(frozen=True)
class SubmoduleInfo:
    name: str  # "features.0"
    type_name: str  # the student's class name, e.g. "ConvBlock" or "Conv2d"
    torch_type: str | None  # most specific torch.nn class in its MRO, e.g. "Conv2d"
    extra_repr: str


@dataclass(frozen=True)
class Gradients:
    output: torch.Tensor
    inputs: list[torch.Tensor | None]  # one per positional argument
    params: dict[str, torch.Tensor | None]  # parameter name -> gradient


class RemoteObject:
    """An object that lives in the worker. Dunder names are never forwarded."""

    def __init__(self, client: WorkerClient, ident: int, type_name: str, label: str) -> None:
        object.__setattr__(self, "_grader_client", client)
        object.__setattr__(self, "_grader_id", ident)
        object.__setattr__(self, "_grader_type", type_name)
        object.__setattr__(self, "_grader_label", label)

    @property
    def remote_type(self) -> str:
        """Qualified type name in the worker: "hw1.models.LinearClassifier"."""
        return self._grader_type

    def _request(self, op: str, args: dict[str, Any], label: str) -> Any:
        __tracebackhide__ = True
        client: WorkerClient = self._grader_client
        return client.request(
            op,
            args,
            label,
            make_handle=lambda tree: _make_handle(client, tree),
            ref_for=lambda v: _ref_for(client, v),
        )

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name.startswith("_grader_"):
            raise AttributeError(name)
        return self._request("getattr", {"ref": self, "name": name}, f"{self._grader_label}.{name}")

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"cannot set {name!r} on a remote object; call a method instead")

    def _call_label(self) -> str:
        return f"{self._grader_label}.__call__"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._request(
            "call", {"ref": self, "args": list(args), "kwargs": kwargs}, self._call_label()
        )

    def __repr__(self) -> str:
        return f"<remote {self._grader_type}>"


class RemoteCallable(RemoteObject):
    """A function, method or class in the worker."""

    def _call_label(self) -> str:
        return self._grader_label


class RemoteClass(RemoteCallable):
    def _call_label(self) -> str:
        return f"{self._grader_label}.__init__"


class RemoteSubmodule(RemoteObject):
    """A Python module of the student's package (models.py)."""

    def _call_label(self) -> str:
        return self._grader_label


class ModuleBuiltins:
    """The built-ins a hidden test calls on a student's module (`model.train()`,
    `model.gradients(x)`, ...), each run by the worker's own code (engine/builtins.py) and
    every answer checked. Subclasses say how a built-in is run: `_builtin(name, ...)`."""

    def _builtin(self, name: str, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError

    def train(self: _Module, mode: bool = True) -> _Module:
        self._builtin("train", bool(mode))
        return self

    def eval(self: _Module) -> _Module:
        self._builtin("eval")
        return self

    @property
    def training(self) -> bool:
        return _expect(self._builtin("training"), bool, "training")

    def to(self: _Module, device: str | torch.device) -> _Module:
        self._builtin("to", str(device))
        return self

    def record_grad_modes(self) -> None:
        """From now on, note whether autograd was on at each forward (see `grad_modes`)."""
        self._builtin("record_grad_modes")

    def grad_modes(self) -> list[bool]:
        """`torch.is_grad_enabled()` at each forward since `record_grad_modes()`."""
        raw = _expect(self._builtin("grad_modes"), list, "grad_modes()")
        return [_expect(mode, bool, "grad_modes()") for mode in raw]

    def named_parameters(self) -> dict[str, torch.Tensor]:
        return _tensor_dict(self._builtin("named_parameters"), "named_parameters()")

    def named_buffers(self) -> dict[str, torch.Tensor]:
        return _tensor_dict(self._builtin("named_buffers"), "named_buffers()")

    def state_dict(self) -> dict[str, torch.Tensor]:
        return _tensor_dict(self._builtin("state_dict"), "state_dict()")

    def load_state_dict(
        self, state: dict[str, torch.Tensor], strict: bool = True
    ) -> dict[str, list[str]]:
        """Returns {"missing_keys": [...], "unexpected_keys": [...]}."""
        return _expect(
            self._builtin("load_state_dict", dict(state), strict), dict, "load_state_dict()"
        )

    def parameter_count(self, trainable_only: bool = False) -> int:
        return _expect(
            self._builtin("parameter_count", bool(trainable_only)), int, "parameter_count()"
        )

    def submodules(self) -> list[SubmoduleInfo]:
        raw = _expect(self._builtin("submodules"), list, "submodules()")
        try:
            return [
                SubmoduleInfo(
                    str(d["name"]),
                    str(d["type_name"]),
                    None if d["torch_type"] is None else str(d["torch_type"]),
                    str(d["extra_repr"]),
                )
                for d in raw
            ]
        except (TypeError, KeyError):
            raise InvalidValue("the worker sent a malformed submodule list") from None

    def has_submodule(self, torch_type: str) -> bool:
        """Whether any submodule is (a subclass of) torch.nn.<torch_type>, e.g. "BatchNorm2d"."""
        return any(
            info.torch_type == torch_type or info.type_name == torch_type
            for info in self.submodules()
        )

    def gradients(
        self, *args: Any, weights: torch.Tensor | None = None, **kwargs: Any
    ) -> Gradients:
        """Forward with float tensor args requiring grad; backward on (output * weights).sum()."""
        raw = _expect(self._builtin("gradients", list(args), kwargs, weights), dict, "gradients()")
        output = raw.get("output")
        if type(output) is not torch.Tensor:
            raise InvalidValue("forward did not return a tensor")
        inputs = [
            g if type(g) is torch.Tensor else None
            for g in _expect(raw.get("inputs"), list, "gradients")
        ]
        params = {
            str(k): (g if type(g) is torch.Tensor else None)
            for k, g in _expect(raw.get("params"), dict, "gradients").items()
        }
        return Gradients(output, inputs, params)

    def predict(
        self,
        inputs: torch.Tensor | np.ndarray,
        *,
        batch_size: int = 256,
        scale: float = 1 / 255,
        output: str = "argmax",
    ) -> torch.Tensor:
        """Batched no_grad inference in the worker (uint8 inputs scaled by `scale`).
        Does not call eval()."""
        value = self._builtin(
            "predict", inputs, batch_size=int(batch_size), scale=float(scale), output=output
        )
        if type(value) is not torch.Tensor:
            raise InvalidValue(f"predict returned a {type(value).__name__}, expected a tensor")
        return value


class RemoteModule(RemoteObject, ModuleBuiltins):
    """A `torch.nn.Module` in the worker, with worker-side built-ins."""

    def _call_label(self) -> str:
        return f"{self._grader_label}.forward"

    def _builtin(self, name: str, *args: Any, **kwargs: Any) -> Any:
        return self._request(
            "builtin",
            {"ref": self, "name": name, "args": list(args), "kwargs": kwargs},
            _builtin_label(self._grader_label, name),
        )


class RemotePackage:
    """The student package in a fresh worker: `student.models`, `student.train.train`."""

    def __init__(self, client: WorkerClient, package: str) -> None:
        self._client = client
        self._package = package
        self._cache: dict[str, Any] = {}

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        if name not in self._cache:
            client = self._client
            value = client.request(
                "resolve",
                {"name": name},
                f"{self._package}.{name}",
                make_handle=lambda tree: _make_handle(client, tree),
            )
            self._cache[name] = value
        return self._cache[name]

    def time_limit(self, seconds: float) -> contextlib.AbstractContextManager[None]:
        """`with student.time_limit(120):` calls inside may run 120 s each."""
        return self._client.time_limit(seconds)

    @property
    def output(self) -> str:
        """What the student's code printed so far (capped)."""
        return self._client.output

    @property
    def client(self) -> WorkerClient:
        return self._client

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> RemotePackage:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<student package {self._package} in worker {self._client.pid}>"


_KINDS: dict[str, type[RemoteObject]] = {
    "module": RemoteModule,
    "class": RemoteClass,
    "callable": RemoteCallable,
    "pymodule": RemoteSubmodule,
    "object": RemoteObject,
}


def _make_handle(client: WorkerClient, tree: dict[str, Any]) -> RemoteObject:
    kind, ident, type_name, label = (
        tree.get("kind"),
        tree.get("id"),
        tree.get("type"),
        tree.get("label"),
    )
    if (
        kind not in _KINDS
        or type(ident) is not int
        or type(type_name) is not str
        or type(label) is not str
    ):
        raise InvalidValue("the worker sent a malformed handle")
    return _KINDS[kind](client, ident, type_name, label)


def _ref_for(client: WorkerClient, value: Any) -> int | None:
    if isinstance(value, RemoteObject):
        if value._grader_client is not client:
            raise ValueError("a handle from another worker cannot be passed to this one")
        return int(value._grader_id)
    return None


def _expect(value: Any, kind: type, what: str) -> Any:
    if type(value) is not kind:
        raise InvalidValue(f"{what} returned a {type(value).__name__}, expected {kind.__name__}")
    return value


def _tensor_dict(value: Any, what: str) -> dict[str, torch.Tensor]:
    _expect(value, dict, what)
    for k, v in value.items():
        if type(v) is not torch.Tensor:
            raise InvalidValue(f"{what}[{k!r}] is a {type(v).__name__}, expected a tensor")
    return value


# What student code each worker-side built-in runs, as a message names it: a crash in
# `gradients` is a crash in the student's forward (or its backward pass), never in
# "ClassificationLoss.gradients", a name the student never wrote.
_BUILTIN_RUNS = {
    "gradients": "{}.forward (and its backward pass)",
    "predict": "{}.forward",
    "train": "{}.train()",
    "eval": "{}.eval()",
    "to": "{}.to()",
    "load_state_dict": "{}.load_state_dict()",
    "state_dict": "{}.state_dict()",
}


def _builtin_label(label: str, builtin: str) -> str:
    """`ClassificationLoss.gradients` -> `ClassificationLoss.forward (and its backward pass)`;
    built-ins that only read the module (parameters, buffers) name the module itself."""
    return _BUILTIN_RUNS.get(builtin, "{}").format(label)
