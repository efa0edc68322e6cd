"""Shared pieces of the Homework 1 hidden suite: reading the student's source for the
"no library shortcut" checks (Tasks 1 and 3).
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest

from grader.suitekit import InvalidValue, read_worker_file

SOURCE_CAP_BYTES = 1 << 20  # a homework module is a few kB; refuse anything huge


def used_names(source: str, filename: str) -> set[str]:
    """Every identifier the code refers to: names, attributes and imported modules/names.

    Strings and comments do not count, so a docstring that says "do not use torch.optim"
    is fine.
    """
    try:
        tree = ast.parse(source, filename=filename)
    except SyntaxError as exc:
        raise InvalidValue(f"{filename} has a syntax error on line {exc.lineno}") from None
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, ast.Attribute):
            names.add(node.attr)
        elif isinstance(node, ast.alias):
            names.update(node.name.split("."))
            if node.asname:
                names.add(node.asname)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.update(node.module.split("."))
    return names


def forbidden_in(source: str, filename: str, forbidden: Iterable[str]) -> list[str]:
    """The names from `forbidden` that the code uses, sorted."""
    return sorted(used_names(source, filename) & set(forbidden))


@pytest.fixture
def forbidden_used(grader_session: Any) -> Callable[[str, Iterable[str]], list[str]]:
    """`forbidden_used("regression.py", {"optim"})`: which of those names the submitted
    module uses. The file is read as the worker got it: no links followed, size-capped."""

    def check(filename: str, forbidden: Iterable[str]) -> list[str]:
        root = Path(grader_session.submission_root)
        path = root / grader_session.homework.package / filename
        data = read_worker_file(path, max_bytes=SOURCE_CAP_BYTES, root=root)
        return forbidden_in(data.decode("utf-8", errors="replace"), filename, forbidden)

    return check
