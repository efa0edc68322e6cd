"""grader.text.safe_text: hostile characters come out escaped and visible, never raw."""

from __future__ import annotations

import json

import pytest

from grader.text import safe_data, safe_text

HOSTILE = [
    ("\x1b[2J\x1b[Htotal 100.00 / 100", "\\x1b[2J\\x1b[Htotal 100.00 / 100"),
    ("0.00\rfull marks", "0.00\\rfull marks"),
    ("bell\x07", "bell\\x07"),
    ("nul\x00", "nul\\x00"),
    ("c1\x9b31m", "c1\\x9b31m"),
    ("del\x7f", "del\\x7f"),
    ("lone \ud800 surrogate", "lone \\ud800 surrogate"),
    ("low \udfff", "low \\udfff"),
    ("bidi \u202eevil", "bidi \\u202eevil"),
    ("isolate \u2066x\u2069", "isolate \\u2066x\\u2069"),
    ("line\u2028sep", "line\\u2028sep"),
]


@pytest.mark.parametrize(("raw", "escaped"), HOSTILE)
def test_hostile_characters_are_escaped_visibly(raw: str, escaped: str) -> None:
    assert safe_text(raw) == escaped
    safe_text(raw).encode("utf-8")  # never raises: no surrogate left


def test_ordinary_text_is_unchanged() -> None:
    text = "Task 3: ValueError: shapes (4, 3) and (2,) — ünïcode ✓ 你好 😀\n\tindented"
    assert safe_text(text) == text


def test_newlines_kept_or_escaped() -> None:
    assert safe_text("a\r\nb\nc") == "a\nb\nc"
    assert safe_text("a\r\nb\nc", keep_newlines=False) == "a\\r\\nb\\nc"
    assert safe_text("tab\tstays", keep_newlines=False) == "tab\tstays"


def test_idempotent() -> None:
    for raw, _ in HOSTILE:
        once = safe_text(raw, keep_newlines=False)
        assert safe_text(once, keep_newlines=False) == once


def test_safe_data_escapes_keys_and_nested_values() -> None:
    data = {"k\x1b": ["v\ud800", {"n": 1.5, "s": "x\ry"}], "ok": None}
    clean = safe_data(data)
    assert clean == {"k\\x1b": ["v\\ud800", {"n": 1.5, "s": "x\\ry"}], "ok": None}
    json.dumps(clean, ensure_ascii=False).encode("utf-8")
