"""Make untrusted text safe to print or write: the one escaping function of the project.

A student controls exception messages, printed output, file and folder names. Printed raw,
an ANSI sequence can repaint a TA's terminal ("total 100.00 / 100"), a `\\r` can overwrite
a line, a bidi override can reorder what is read, and a lone surrogate (`\\ud800`, legal in
a Python str and in JSON, not in UTF-8) crashes the encoder that writes the report.
`safe_text` turns each such character into a visible escape (`\\x1b`, `\\r`, `\\u202e`,
`\\ud800`), so the text stays readable, is valid UTF-8, and can do nothing but be read.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["safe_data", "safe_text"]

# C0 and C1 controls (tab and newline handled apart), DEL, lone surrogates, the Unicode
# line/paragraph separators (line breaks to some readers) and the bidi embedding,
# override and isolate controls (they reorder what a reader sees).
_UNSAFE = "\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff"
_UNSAFE_KEEP_LINES = re.compile(f"[{_UNSAFE}]")
_UNSAFE_ONE_LINE = re.compile(f"[{_UNSAFE}\n]")


def safe_text(s: str, *, keep_newlines: bool = True) -> str:
    """`s` with every control character, bidi control and lone surrogate escaped visibly.

    Tabs stay. Newlines stay when `keep_newlines` (a `\\r\\n` pair becomes `\\n`), else
    they become `\\n` too, for one-line places such as a CSV cell or a test name.
    Applying it twice changes nothing more than applying it once.
    """
    if not isinstance(s, str):
        s = str(s)
    if keep_newlines:
        return _UNSAFE_KEEP_LINES.sub(_escape, s.replace("\r\n", "\n"))
    return _UNSAFE_ONE_LINE.sub(_escape, s)


def safe_data(value: Any, *, keep_newlines: bool = True) -> Any:
    """`value` (JSON-like: dicts, lists, tuples, strings, numbers) with every string, keys
    included, passed through `safe_text`; other values are returned as they are."""
    if isinstance(value, str):
        return safe_text(value, keep_newlines=keep_newlines)
    if isinstance(value, dict):
        return {
            safe_data(k, keep_newlines=False): safe_data(v, keep_newlines=keep_newlines)
            for k, v in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [safe_data(v, keep_newlines=keep_newlines) for v in value]
    return value


_NAMED = {"\n": "\\n", "\r": "\\r"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
