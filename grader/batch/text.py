"""Student-controlled strings made safe to print, write and embed.

Folder names, error messages and test output come from submissions. Before they reach a
CSV cell, an HTML page or a feedback file, control characters become visible escapes and
lone surrogates (undecodable bytes in a folder name) become U+FFFD, so no file the TA opens
can be reshaped by a name, and every file encodes as UTF-8.

(A private helper until the report formatters offer a shared one.)
"""

from __future__ import annotations

import html
import re
import unicodedata

_SURROGATE = re.compile("[\ud800-\udfff]")


def has_surrogates(text: str) -> bool:
    return bool(_SURROGATE.search(text))


def control_chars(text: str) -> list[str]:
    """The control and format characters in `text` (newline, tab, escape, bidi overrides)."""
    return [c for c in text if unicodedata.category(c) in ("Cc", "Cf", "Cs", "Zl", "Zp")]


def clean(text: str, *, keep_newlines: bool = False) -> str:
    """`text` with lone surrogates as U+FFFD and control characters as `\\xNN` escapes."""
    text = _SURROGATE.sub("\ufffd", text)
    out = []
    for char in text:
        if keep_newlines and char in "\n\t":
            out.append(char)
        elif unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp"):
            out.append(char.encode("unicode_escape").decode("ascii"))
        else:
            out.append(char)
    return "".join(out)


def one_line(text: str, limit: int = 300) -> str:
    """A single clean line, at most `limit` characters."""
    line = clean(" ".join(str(text).split()))
    return line if len(line) <= limit else line[: limit - 1] + "\u2026"


def html_text(text: str) -> str:
    """Clean, then escaped for HTML text and quoted attribute values."""
    return html.escape(clean(text), quote=True)


def csv_cell(text: str) -> str:
    """Clean, and never read as a formula by a spreadsheet (=, +, -, @ at the start)."""
    text = clean(text)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
