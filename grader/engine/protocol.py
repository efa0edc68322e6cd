"""Wire format between the trusted parent and the sandboxed worker. Never pickle.

A frame is an 8-byte big-endian body length, then the body: a 4-byte JSON length, the
JSON header, and the raw byte buffers of every tensor / ndarray in the message:

    !Q body_len | !I json_len | {"msg": <tree>, "bufs": [len0, len1, ...]} | buf0 | buf1 ...

Values in the tree are JSON scalars, lists, and tagged objects (`{"$": tag, ...}`) for
everything else: tuples, dicts, non-finite floats, tensors, ndarrays, dtypes and handles.
The parent decodes a worker's answer with `decode`, which checks every buffer's size
against shape * itemsize and builds fresh CPU tensors, so nothing the worker made (a
tensor subclass, a lying `__eq__`) ever reaches a hidden test.
"""

from __future__ import annotations

import json
import math
import socket
import struct
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from grader.errors import InvalidValue

MiB = 1 << 20
MAX_MESSAGE_BYTES = 512 * MiB
MAX_DEPTH = 64
MAX_NDIM = 16
_LEN = struct.Struct("!Q")
_HDR = struct.Struct("!I")

# Only plain numeric dtypes cross the boundary (no complex, quantized or sparse tensors).
TORCH_DTYPES: dict[str, torch.dtype] = {
    "bool": torch.bool,
    "uint8": torch.uint8,
    "int8": torch.int8,
    "int16": torch.int16,
    "int32": torch.int32,
    "int64": torch.int64,
    "float16": torch.float16,
    "bfloat16": torch.bfloat16,
    "float32": torch.float32,
    "float64": torch.float64,
}
_DTYPE_NAMES = {v: k for k, v in TORCH_DTYPES.items()}
NUMPY_DTYPES = {k for k in TORCH_DTYPES if k != "bfloat16"}


class ProtocolError(Exception):
    """The peer broke the framing (EOF mid-frame, a frame over the size cap)."""


class EncodeError(ValueError):
    """A value cannot cross the boundary (a complex tensor, a non-str dict key, too big)."""


class PeerClosed(ProtocolError):
    """The peer closed the connection (the worker died), between frames or inside one."""


class DeadlineExceeded(ProtocolError):
    """No complete frame arrived before the deadline."""


# ---------------------------------------------------------------------------- encoding


Hook = Callable[[Any], Any]


def encode(
    value: Any,
    handle_for: Hook | None = None,
    ref_for: Hook | None = None,
) -> tuple[Any, list[memoryview]]:
    """(JSON tree, buffers) for `value`. Objects that are not plain data become handles via
    `handle_for` (worker side) or references to worker objects via `ref_for` (parent side:
    it returns the handle id of a remote object, or None)."""
    buffers: list[memoryview] = []
    tree = _encode(value, buffers, (handle_for, ref_for), 0)
    return tree, buffers


def _encode(
    value: Any, bufs: list[memoryview], hooks: tuple[Hook | None, Hook | None], depth: int
) -> Any:
    if depth > MAX_DEPTH:
        raise ValueError(f"value nested deeper than {MAX_DEPTH} levels")
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value) if math.isfinite(value) else {"$": "float", "v": repr(float(value))}
    if isinstance(value, torch.Tensor):
        return _encode_tensor(value, bufs)
    if isinstance(value, np.ndarray):
        return _encode_ndarray(value, bufs)
    if isinstance(value, np.generic) and not isinstance(value, np.void):
        return _encode(value.item(), bufs, hooks, depth)
    if isinstance(value, torch.dtype):
        if value not in _DTYPE_NAMES:
            raise ValueError(f"dtype {value} cannot be sent; allowed: {', '.join(TORCH_DTYPES)}")
        return {"$": "dtype", "name": _DTYPE_NAMES[value]}
    if isinstance(value, torch.device):
        return str(value)
    if isinstance(value, (list, tuple)):  # namedtuples and torch.Size travel as tuples
        items = [_encode(v, bufs, hooks, depth + 1) for v in value]
        return items if isinstance(value, list) else {"$": "tuple", "items": items}
    if isinstance(value, dict):  # OrderedDict (a state_dict) too
        pairs = []
        for k, v in value.items():
            if not isinstance(k, str):
                raise ValueError(
                    f"dict keys must be str to cross the sandbox, got {type(k).__name__}"
                )
            pairs.append([k, _encode(v, bufs, hooks, depth + 1)])
        return {"$": "dict", "items": pairs}
    handle_for, ref_for = hooks
    if handle_for is not None:
        return handle_for(value)
    ident = ref_for(value) if ref_for is not None else None
    if ident is not None:
        return {"$": "ref", "id": int(ident)}
    raise ValueError(f"a {type(value).__name__} cannot be sent to the worker")


def _encode_tensor(t: torch.Tensor, bufs: list[memoryview]) -> dict[str, Any]:
    if t.layout != torch.strided or t.is_quantized or t.device.type == "meta":
        raise ValueError(
            f"a {t.layout} / {t.device.type} tensor cannot be sent; use a dense tensor"
        )
    if t.dtype not in _DTYPE_NAMES:
        raise ValueError(
            f"tensor dtype {t.dtype} cannot be sent; allowed: {', '.join(TORCH_DTYPES)}"
        )
    plain = torch.Tensor.as_subclass(t.detach(), torch.Tensor)
    plain = plain.cpu().resolve_conj().resolve_neg().contiguous()
    raw: Any = plain.reshape(-1).view(torch.uint8).numpy()
    bufs.append(memoryview(raw).cast("B"))
    return {
        "$": "tensor",
        "dtype": _DTYPE_NAMES[t.dtype],
        "shape": list(t.shape),
        "buf": len(bufs) - 1,
    }


def _encode_ndarray(a: np.ndarray, bufs: list[memoryview]) -> dict[str, Any]:
    name = a.dtype.name
    if name not in NUMPY_DTYPES:
        raise ValueError(
            f"array dtype {name} cannot be sent; allowed: {', '.join(sorted(NUMPY_DTYPES))}"
        )
    plain = np.ascontiguousarray(a).astype(a.dtype.newbyteorder("="), copy=False)
    raw: Any = plain.reshape(-1).view(np.uint8)
    bufs.append(memoryview(raw).cast("B"))
    return {"$": "ndarray", "dtype": name, "shape": list(a.shape), "buf": len(bufs) - 1}


# ---------------------------------------------------------------------------- decoding


def decode(
    tree: Any,
    buffers: list[memoryview],
    make_handle: Callable[[dict[str, Any]], Any] | None = None,
    resolve_ref: Callable[[int], Any] | None = None,
) -> Any:
    """The value a tree describes. Raises `InvalidValue` on anything malformed."""
    try:
        return _decode(tree, buffers, make_handle, resolve_ref, 0)
    except InvalidValue:
        raise
    except (TypeError, ValueError, KeyError, RecursionError, OverflowError, RuntimeError) as exc:
        raise InvalidValue(f"the worker sent a malformed value ({type(exc).__name__})") from None


def _decode(tree: Any, bufs: list[memoryview], mk: Any, ref: Any, depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise InvalidValue(f"the returned value is nested deeper than {MAX_DEPTH} levels")
    if tree is None or type(tree) in (bool, int, float, str):
        return tree
    if type(tree) is list:
        return [_decode(v, bufs, mk, ref, depth + 1) for v in tree]
    if type(tree) is not dict:
        raise InvalidValue(f"unexpected {type(tree).__name__} in a message")
    tag = tree.get("$")
    if tag == "float":
        v = tree["v"]
        if v not in ("nan", "inf", "-inf"):
            raise InvalidValue(f"bad non-finite float {v!r}")
        return float(v)
    if tag == "tuple":
        return tuple(_decode(v, bufs, mk, ref, depth + 1) for v in _as_list(tree["items"]))
    if tag == "dict":
        out: dict[str, Any] = {}
        for pair in _as_list(tree["items"]):
            key, val = _as_list(pair)
            if type(key) is not str:
                raise InvalidValue("a dict key in the returned value is not a string")
            out[key] = _decode(val, bufs, mk, ref, depth + 1)
        return out
    if tag in ("tensor", "ndarray"):
        return _decode_array(tree, bufs, tag)
    if tag == "dtype":
        name = tree["name"]
        if name not in TORCH_DTYPES:
            raise InvalidValue(f"unknown dtype {name!r}")
        return TORCH_DTYPES[name]
    if tag == "handle" and mk is not None:
        return mk(tree)
    if tag == "ref" and ref is not None:
        return ref(int(tree["id"]))
    raise InvalidValue(f"unexpected tag {tag!r} in a message")


def _as_list(value: Any) -> list[Any]:
    if type(value) is not list:
        raise InvalidValue("malformed message: expected a list")
    return value


def _decode_array(tree: dict[str, Any], bufs: list[memoryview], tag: str) -> Any:
    dtype_name, shape, index = tree["dtype"], tree["shape"], tree["buf"]
    allowed = TORCH_DTYPES if tag == "tensor" else NUMPY_DTYPES
    if dtype_name not in allowed:
        raise InvalidValue(
            f"returned {tag} has dtype {dtype_name!r}; allowed: {', '.join(allowed)}"
        )
    if (
        type(shape) is not list
        or len(shape) > MAX_NDIM
        or any(type(s) is not int or s < 0 for s in shape)
    ):
        raise InvalidValue(f"returned {tag} has a malformed shape {shape!r}")
    if type(index) is not int or not 0 <= index < len(bufs):
        raise InvalidValue(f"returned {tag} refers to a missing buffer")
    dtype = TORCH_DTYPES[dtype_name]
    numel = math.prod(shape)
    itemsize = torch.empty((), dtype=dtype).element_size()
    raw = bufs[index]
    if numel * itemsize != len(raw):
        raise InvalidValue(
            f"returned {tag} claims shape {tuple(shape)} of {dtype_name} "
            f"({numel * itemsize} bytes) "
            f"but carries {len(raw)} bytes"
        )
    if numel == 0:
        t = torch.empty(shape, dtype=dtype)
    else:
        t = torch.frombuffer(bytearray(raw), dtype=dtype).reshape(shape)  # fresh, owned
    return t if tag == "tensor" else t.numpy()


# ---------------------------------------------------------------------------- framing


def send_message(
    sock: socket.socket,
    msg: Any,
    buffers: list[memoryview] | None = None,
    deadline: float | None = None,
) -> None:
    """Send one frame. `deadline` (time.monotonic) bounds the whole send."""
    buffers = buffers or []
    header = json.dumps({"msg": msg, "bufs": [len(b) for b in buffers]}, allow_nan=False).encode()
    body_len = _HDR.size + len(header) + sum(len(b) for b in buffers)
    if body_len > MAX_MESSAGE_BYTES:
        raise ProtocolError(
            f"message of {body_len / MiB:.0f} MiB exceeds the {MAX_MESSAGE_BYTES // MiB} MiB limit"
        )
    pieces: list[bytes | memoryview] = [_LEN.pack(body_len) + _HDR.pack(len(header)) + header]
    pieces.extend(buffers)
    for piece in pieces:
        _send_all(sock, piece, deadline)


def _send_all(sock: socket.socket, data: bytes | memoryview, deadline: float | None) -> None:
    view = memoryview(data).cast("B")
    while view:
        _set_timeout(sock, deadline)
        try:
            sent = sock.send(view)
        except TimeoutError:
            raise DeadlineExceeded("send timed out") from None
        except (BrokenPipeError, ConnectionResetError):
            raise PeerClosed("peer closed the connection") from None
        view = view[sent:]


def recv_message(
    sock: socket.socket, deadline: float | None = None, max_bytes: int = MAX_MESSAGE_BYTES
) -> tuple[Any, list[memoryview]]:
    """Receive one frame: (JSON tree, buffers). Raises PeerClosed at a clean EOF,
    DeadlineExceeded past `deadline`, ProtocolError for an oversized or torn frame."""
    head = _recv_exact(sock, _LEN.size, deadline, at_start=True)
    (body_len,) = _LEN.unpack(head)
    if body_len > max_bytes:
        raise ProtocolError(f"a message of {body_len / MiB:.0f} MiB (limit {max_bytes // MiB} MiB)")
    if body_len < _HDR.size:
        raise ProtocolError("a torn message")
    body = _recv_exact(sock, body_len, deadline, at_start=False)
    (json_len,) = _HDR.unpack_from(body)
    if _HDR.size + json_len > body_len:
        raise ProtocolError("a message whose header overruns its body")
    try:
        header = json.loads(bytes(body[_HDR.size : _HDR.size + json_len]))
        msg, lens = header["msg"], header["bufs"]
        if type(lens) is not list or any(type(n) is not int or n < 0 for n in lens):
            raise ValueError("bad buffer lengths")
    except (ValueError, KeyError, TypeError, RecursionError):
        raise ProtocolError("a message with a malformed header") from None
    offset = _HDR.size + json_len
    if offset + sum(lens) != body_len:
        raise ProtocolError("a message whose buffers do not add up to its length")
    view = memoryview(body)
    buffers = []
    for n in lens:
        buffers.append(view[offset : offset + n])
        offset += n
    return msg, buffers


def _recv_exact(sock: socket.socket, n: int, deadline: float | None, at_start: bool) -> bytearray:
    buf = bytearray(n)
    view = memoryview(buf)
    got = 0
    while got < n:
        _set_timeout(sock, deadline)
        try:
            k = sock.recv_into(view[got:])
        except TimeoutError:
            raise DeadlineExceeded("no answer before the deadline") from None
        except ConnectionResetError:
            k = 0
        if k == 0:
            if at_start and got == 0:
                raise PeerClosed("peer closed the connection")
            raise PeerClosed("the connection closed in the middle of a message")
        got += k
    return buf


def _set_timeout(sock: socket.socket, deadline: float | None) -> None:
    if deadline is None:
        sock.settimeout(None)
        return
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise DeadlineExceeded("deadline passed")
    sock.settimeout(remaining)
