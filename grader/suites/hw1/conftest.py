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


def _parse(source: str, filename: str) -> ast.Module:
    try:
        return ast.parse(source, filename=filename)
    except SyntaxError as exc:
        raise InvalidValue(f"{filename} has a syntax error on line {exc.lineno}") from None


def used_names(source: str, filename: str) -> set[str]:
    """The library names the code reaches: attributes (`F.cross_entropy`), imported
    modules and names, and bare names it reads without ever binding them itself.

    Strings and comments do not count (a docstring that says "do not use torch.optim" is
    fine), nor does a local variable that happens to share a library function's name.
    """
    tree = _parse(source, filename)
    bound: set[str] = set()
    read: set[str] = set()
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (read if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.Attribute):
            names.add(node.attr)
        elif isinstance(node, ast.alias):
            names.update(node.name.split("."))  # the library name, whatever it is bound to
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.update(node.module.split("."))
    return names | (read - bound)


def local_imports(source: str, filename: str, package: str) -> set[str]:
    """Module names of the student's package that the code imports (`from .utils import f`,
    `from hw1 import utils`, `import hw1.models`)."""
    found: set[str] = set()
    for node in ast.walk(_parse(source, filename)):
        if isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level == 0 and module.split(".")[0] != package:
                continue
            parts = module.split(".")[1:] if node.level == 0 else module.split(".")
            parts = [p for p in parts if p]
            if parts:
                found.add(parts[0])
            else:  # from . import utils
                found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == package and len(parts) > 1:
                    found.add(parts[1])
    return found


def forbidden_in(source: str, filename: str, forbidden: Iterable[str]) -> list[str]:
    """The names from `forbidden` that the code uses, sorted."""
    return sorted(used_names(source, filename) & set(forbidden))


@pytest.fixture
def forbidden_used(grader_session: Any) -> Callable[[str, Iterable[str]], list[str]]:
    """`forbidden_used("regression.py", {"optim"})`: which of those names the submitted
    module, or any module of the package it imports (transitively), uses. Files are read as
    the worker got them: no links followed, size-capped."""

    def check(filename: str, forbidden: Iterable[str]) -> list[str]:
        root = Path(grader_session.submission_root)
        package = grader_session.homework.package
        used: set[str] = set()
        todo, seen = [filename.removesuffix(".py")], set()
        while todo:
            name = todo.pop()
            path = root / package / f"{name}.py"
            if name in seen or not path.is_file():
                continue
            seen.add(name)
            data = read_worker_file(path, max_bytes=SOURCE_CAP_BYTES, root=root)
            source = data.decode("utf-8", errors="replace")
            found = forbidden_in(source, f"{name}.py", forbidden)
            used.update(
                found
                if name == filename.removesuffix(".py")
                else (f"{n} (in {name}.py)" for n in found)
            )
            todo.extend(local_imports(source, f"{name}.py", package))
        return sorted(used)

    return check
