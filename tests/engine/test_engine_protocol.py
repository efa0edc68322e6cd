"""The wire format, value checks and result collection: pure functions, no worker."""

from __future__ import annotations

import math
import socket
from pathlib import Path

import numpy as np
import pytest
import torch

from grader.checks import expect_int, expect_number, expect_tensor
from grader.engine import protocol
from grader.engine.collect import Outcome, build_result, leaderboard_entry, reset_scores
from grader.errors import InvalidValue, NotImplementedYet, StudentException
from grader.results import TestResult

ENGINE_DIR = Path(__file__).resolve().parents[2] / "grader" / "engine"


def roundtrip(value: object) -> object:
    a, b = socket.socketpair()
    with a, b:
        tree, bufs = protocol.encode(value, handle_for=lambda v: {"$": "handle", "id": 1})
        protocol.send_message(a, tree, bufs)
        got, got_bufs = protocol.recv_message(b)
        return protocol.decode(got, got_bufs, make_handle=lambda t: ("handle", t["id"]))


@pytest.mark.parametrize("dtype", list(protocol.TORCH_DTYPES.values()))
def test_every_whitelisted_dtype_roundtrips(dtype: torch.dtype) -> None:
    x = (torch.arange(12) % 3).reshape(3, 4).to(dtype)
    y = roundtrip(x)
    assert type(y) is torch.Tensor and y.dtype == dtype and torch.equal(y, x)


def test_plain_data_and_non_finite_floats_roundtrip() -> None:
    value = {
        "a": (1, 2.5, None, True, "s"),
        "b": [float("nan"), float("inf"), -math.inf],
        "t": torch.zeros(0, 3),
        "n": np.arange(6, dtype=np.int16).reshape(2, 3),
        "scalar": torch.tensor(3.5),
        "dt": torch.float16,
    }
    got = roundtrip(value)
    assert got["a"] == (1, 2.5, None, True, "s")
    assert math.isnan(got["b"][0]) and got["b"][1:] == [math.inf, -math.inf]
    assert got["t"].shape == (0, 3) and got["scalar"].item() == 3.5 and got["dt"] is torch.float16
    assert isinstance(got["n"], np.ndarray) and got["n"].dtype == np.int16 and got["n"].sum() == 15


def test_tensor_subclass_and_views_arrive_as_plain_contiguous_tensors() -> None:
    class Liar(torch.Tensor):
        def __eq__(self, other: object) -> bool:  # type: ignore[override]
            return True

    x = torch.arange(6.0).reshape(2, 3).t().as_subclass(Liar)
    y = roundtrip(x)
    assert type(y) is torch.Tensor and torch.equal(y, torch.arange(6.0).reshape(2, 3).t())


def test_unsendable_values_are_refused_or_become_handles() -> None:
    with pytest.raises(ValueError, match="complex"):
        protocol.encode(torch.zeros(2, dtype=torch.complex64))
    with pytest.raises(ValueError, match="keys must be str"):
        protocol.encode({1: 2})
    assert roundtrip(object()) == ("handle", 1)


def _frame(tree: object, bufs: list[bytes]) -> tuple[object, list[memoryview]]:
    return tree, [memoryview(b) for b in bufs]


def test_decode_rejects_lying_buffers_and_unknown_tags() -> None:
    tree = {"$": "tensor", "dtype": "float32", "shape": [4], "buf": 0}
    with pytest.raises(InvalidValue, match="claims shape"):
        protocol.decode(*_frame(tree, [b"\0" * 12]))
    with pytest.raises(InvalidValue, match="dtype"):
        protocol.decode(*_frame({**tree, "dtype": "complex64"}, [b"\0" * 32]))
    with pytest.raises(InvalidValue, match="shape"):
        protocol.decode(*_frame({**tree, "shape": [-1]}, [b""]))
    with pytest.raises(InvalidValue, match="tag"):
        protocol.decode({"$": "pickle", "data": "gASV"}, [])
    deep: object = 1
    for _ in range(100):
        deep = [deep]
    with pytest.raises(InvalidValue, match="nested"):
        protocol.decode(deep, [])


def test_oversized_and_torn_frames_are_protocol_errors() -> None:
    a, b = socket.socketpair()
    with a, b:
        a.sendall(protocol._LEN.pack(protocol.MAX_MESSAGE_BYTES + 1))
        with pytest.raises(protocol.ProtocolError, match="MiB"):
            protocol.recv_message(b, deadline=None)
    a, b = socket.socketpair()
    with b:
        a.sendall(protocol._LEN.pack(100) + b"xx")
        a.close()
        with pytest.raises(protocol.PeerClosed, match="middle"):
            protocol.recv_message(b)


def test_engine_never_uses_pickle() -> None:
    for path in ENGINE_DIR.glob("*.py"):
        text = path.read_text()
        assert "import pickle" not in text and "torch.load" not in text, path.name


def test_checks_name_what_is_wrong() -> None:
    y = torch.zeros(2, 3)
    assert expect_tensor(y, shape=(2, None), dtype=torch.float32) is y
    with pytest.raises(InvalidValue, match=r"shape \(2, 4\), got \(2, 3\)"):
        expect_tensor(y, shape=(2, 4))
    with pytest.raises(InvalidValue, match="dtype int64, got float32"):
        expect_tensor(y, dtype=torch.int64)
    with pytest.raises(InvalidValue, match="1 NaN"):
        expect_tensor(torch.tensor([1.0, float("nan")]))
    with pytest.raises(InvalidValue, match="numpy array"):
        expect_tensor(np.zeros(3))
    with pytest.raises(InvalidValue, match="should be a number"):
        expect_number(True, name="loss")
    with pytest.raises(InvalidValue, match="finite"):
        expect_number(float("inf"), name="loss")
    with pytest.raises(InvalidValue, match="at least 1"):
        expect_int(0, name="count", minimum=1)


def _decorated(**attrs: object):  # noqa: ANN202
    def test_fn() -> None:
        """First line of the doc.

        More lines."""

    for key, value in attrs.items():
        setattr(test_fn, key, value)
    return test_fn


def test_results_follow_the_decorators() -> None:
    fn = _decorated(__weight__=3, __number__="2.1", __tags__=("t",), __visibility__="hidden")
    passed = build_result(fn, item_name="test_fn", auto_number="7", outcome=Outcome(passed=True))
    assert passed == TestResult(
        number="2.1",
        name="First line of the doc.",
        score=3.0,
        max_score=3.0,
        status="passed",
        visibility="hidden",
        tags=["t"],
    )
    stub = build_result(
        fn,
        item_name="test_fn[a]",
        auto_number="7",
        outcome=Outcome(passed=False, error=NotImplementedYet("not implemented yet: Task 1")),
    )
    assert (stub.score, stub.status, stub.output) == (0.0, "failed", "not implemented yet: Task 1")
    assert stub.name == "First line of the doc. [a]"


def test_partial_credit_survives_a_later_assertion_and_is_reset() -> None:
    fn = _decorated(__weight__=4, __score__=2.5)
    result = build_result(
        fn,
        item_name="t",
        auto_number="1",
        outcome=Outcome(passed=False, error=AssertionError("3 of 4 right\nassert False")),
    )
    assert (result.score, result.status, result.output) == (2.5, "failed", "3 of 4 right")
    reset_scores(fn)
    assert not hasattr(fn, "__score__")


def test_hidden_errors_internal_errors_and_skips() -> None:
    hidden = _decorated(__weight__=1, __hide_errors__="nope")
    failed = Outcome(False, StudentException("secret 0.93", "Traceback ..."), student_output="x")
    shown = build_result(hidden, item_name="t", auto_number="1", outcome=failed)
    assert (shown.output, shown.detail) == ("nope", "")
    internal = build_result(
        _decorated(__weight__=1),
        item_name="t",
        auto_number="1",
        outcome=Outcome(False, KeyError("x")),
    )
    assert (
        "internal error" in internal.output and "KeyError" in internal.extra_data["internal_error"]
    )
    assert internal.detail == ""  # the hidden test's traceback is never shown to the student
    skipped = build_result(
        _decorated(__weight__=2),
        item_name="t",
        auto_number="1",
        outcome=Outcome(False, skip_reason="needs CUDA"),
    )
    assert (skipped.score, skipped.max_score, skipped.output) == (0.0, 2.0, "skipped: needs CUDA")


def test_leaderboard_entry() -> None:
    fn = _decorated(
        __leaderboard_column__="acc", __leaderboard_sort_order__="asc", __leaderboard_value__=0.5
    )
    entry = leaderboard_entry(fn)
    assert entry is not None and (entry.name, entry.value, entry.order) == ("acc", 0.5, "asc")
    assert leaderboard_entry(_decorated(__leaderboard_column__="acc")) is None


def test_rewritten_bare_assertions_do_not_leak_values() -> None:
    fn = _decorated(__weight__=1)
    for message, shown in [
        ("assert 0.85 > 0.9", "a check failed"),
        ("", "a check failed"),
        ("too slow\nassert 0.85 > 0.9", "too slow"),
    ]:
        result = build_result(
            fn, item_name="t", auto_number="1", outcome=Outcome(False, AssertionError(message))
        )
        assert result.output == shown
