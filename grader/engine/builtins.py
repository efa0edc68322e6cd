"""Worker side: the `RemoteModule` built-ins, run on the student's `torch.nn.Module`.

Introspection walks the modules' own `_modules`, `_parameters` and `_buffers` dicts with
primitives captured when this module is imported (in the zygote, before any student code):
`object.__getattribute__`, `dict.items`, the C `numel`/`detach`. Neither an override in the
student's class (`named_modules`, `__getattr__`, `__class__`) nor a later monkeypatch of
torch.nn.Module or torch.Tensor changes what a parameter count or a submodule list reports.
The table itself is read-only (MappingProxyType) and the worker keeps its own snapshot.
This raises the bar; it is not a proof (ctypes can rewrite anything in the process), so
the parent still validates every value these return.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from types import MappingProxyType
from typing import Any

import torch
from torch import nn


def _train(m: nn.Module, mode: bool = True) -> None:
    m.train(mode)


def _eval(m: nn.Module) -> None:
    m.eval()


def _training(m: nn.Module) -> bool:
    return bool(m.training)


def _to(m: nn.Module, device: str) -> None:
    m.to(torch.device(device))


_GET = object.__getattribute__
_ITEMS = dict.items
_NUMEL = torch._C.TensorBase.numel
_DETACH = torch._C.TensorBase.detach
_REQUIRES_GRAD = torch._C.TensorBase.requires_grad.__get__  # type: ignore[attr-defined]
_TYPE = type


def _walk(m: nn.Module) -> Iterator[tuple[str, nn.Module]]:
    """(dotted name, module) for m and each submodule once, in torch's pre-order, from the
    raw `_modules` dicts."""
    seen: set[int] = set()
    stack: list[tuple[str, Any]] = [("", m)]
    while stack:
        name, mod = stack.pop()
        if mod is None or id(mod) in seen:
            continue
        seen.add(id(mod))
        yield name, mod
        children = [(f"{name}.{c}" if name else c, sub) for c, sub in _ITEMS(_GET(mod, "_modules"))]
        stack.extend(reversed(children))


def _members(m: nn.Module, table: str) -> Iterator[tuple[str, torch.Tensor]]:
    seen: set[int] = set()
    for prefix, mod in _walk(m):
        for name, value in _ITEMS(_GET(mod, table)):
            if value is None or id(value) in seen:
                continue
            seen.add(id(value))
            yield (f"{prefix}.{name}" if prefix else name), value


def _named_parameters(m: nn.Module) -> dict[str, torch.Tensor]:
    return {name: _DETACH(p) for name, p in _members(m, "_parameters")}


def _named_buffers(m: nn.Module) -> dict[str, torch.Tensor]:
    return {name: _DETACH(b) for name, b in _members(m, "_buffers")}


def _state_dict(m: nn.Module) -> dict[str, Any]:
    return {
        k: (v.detach() if isinstance(v, torch.Tensor) else v) for k, v in m.state_dict().items()
    }


def _load_state_dict(
    m: nn.Module, state: dict[str, Any], strict: bool = True
) -> dict[str, list[str]]:
    result = m.load_state_dict(state, strict=strict)
    return {
        "missing_keys": list(result.missing_keys),
        "unexpected_keys": list(result.unexpected_keys),
    }


def _parameter_count(m: nn.Module, trainable_only: bool = False) -> int:
    return sum(
        _NUMEL(p) for _, p in _members(m, "_parameters") if _REQUIRES_GRAD(p) or not trainable_only
    )


def _torch_type(cls: type) -> str | None:
    """The most specific class from torch.nn in `cls`'s MRO ("Conv2d"), or None."""
    for base in cls.__mro__:
        if base.__module__.startswith("torch.nn") and base is not nn.Module:
            return base.__name__
    return None


def _submodules(m: nn.Module) -> list[dict[str, Any]]:
    out = []
    for name, sub in _walk(m):
        if not name:
            continue  # the module itself
        cls = _TYPE(sub)
        out.append(
            {
                "name": name,
                "type_name": cls.__name__,
                "torch_type": _torch_type(cls),
                "extra_repr": str(sub.extra_repr())[:500],
            }
        )
    return out


def _gradients(
    m: nn.Module, args: list[Any], kwargs: dict[str, Any], weights: torch.Tensor | None = None
) -> dict[str, Any]:
    """Forward with float tensor args requiring grad, backward on (output * weights).sum()."""
    m.zero_grad(set_to_none=True)
    leaves = [
        a.detach().clone().requires_grad_(True)
        if isinstance(a, torch.Tensor) and a.is_floating_point()
        else a
        for a in args
    ]
    output = m(*leaves, **kwargs)
    if not isinstance(output, torch.Tensor):
        raise TypeError(f"forward returned a {type(output).__name__}, expected a tensor")
    loss = (output * weights.to(output.device)).sum() if weights is not None else output.sum()
    loss.backward()
    return {
        "output": output.detach(),
        "inputs": [
            a.grad if isinstance(a, torch.Tensor) and a.requires_grad else None for a in leaves
        ],
        "params": {name: p.grad for name, p in nn.Module.named_parameters(m)},
    }


_OUTPUTS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "argmax": lambda y: y.argmax(dim=1),
    "logits": lambda y: y,
    "log_softmax": lambda y: torch.log_softmax(y, dim=1),
}


def _predict(
    m: nn.Module,
    inputs: Any,
    *,
    device: str,
    batch_size: int = 256,
    scale: float = 1 / 255,
    output: str = "argmax",
) -> torch.Tensor:
    """Batched inference under no_grad; uint8 inputs are scaled to float. Does not call eval()."""
    if output not in _OUTPUTS:
        raise ValueError(f"predict output must be one of {sorted(_OUTPUTS)}, got {output!r}")
    x = torch.as_tensor(inputs)
    outs = []
    with torch.no_grad():
        for start in range(0, x.shape[0], max(1, int(batch_size))):
            batch = x[start : start + batch_size]
            batch = batch.float() * scale if batch.dtype == torch.uint8 else batch
            y = m(batch.to(device))
            if not isinstance(y, torch.Tensor):
                raise TypeError(f"forward returned a {type(y).__name__}, expected a tensor")
            outs.append(_OUTPUTS[output](y).cpu())
    if not outs:
        raise ValueError("predict got no inputs")
    return torch.cat(outs)


# id(module) -> grad mode of each forward since record_grad_modes (the hook stays installed)
_GRAD_MODES: dict[int, list[bool]] = {}


def _record_grad_modes(m: nn.Module) -> None:
    """Start recording `torch.is_grad_enabled()` at every forward of `m`."""
    if id(m) not in _GRAD_MODES:
        modes: list[bool] = []
        _GRAD_MODES[id(m)] = modes
        nn.Module.register_forward_hook(m, lambda *_: modes.append(torch.is_grad_enabled()))
    _GRAD_MODES[id(m)].clear()


def _grad_modes(m: nn.Module) -> list[bool]:
    return list(_GRAD_MODES.get(id(m), []))


# `predict` also gets the worker's device as `device=`.
MODULE_BUILTINS: MappingProxyType[str, Callable[..., Any]] = MappingProxyType(
    {
        "train": _train,
        "eval": _eval,
        "training": _training,
        "to": _to,
        "named_parameters": _named_parameters,
        "named_buffers": _named_buffers,
        "state_dict": _state_dict,
        "load_state_dict": _load_state_dict,
        "parameter_count": _parameter_count,
        "submodules": _submodules,
        "gradients": _gradients,
        "predict": _predict,
        "record_grad_modes": _record_grad_modes,
        "grad_modes": _grad_modes,
    }
)
