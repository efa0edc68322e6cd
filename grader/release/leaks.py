"""Prove a student release leaks nothing: check it by file name and by content.

By name: no solutions/, no grader/suites/, no hidden seed, no generated data (hidden
labels included). By content: no function body of the reference solutions or of the
hidden suites appears in any file, and neither does the hidden seed. Bodies are compared
line by line with indentation stripped, so a re-indented copy is still found; bodies the
starter gives as is (the same function, same file, same body: a helper such as `main()`)
and trivially short ones are skipped.
"""

from __future__ import annotations

import ast
import os
from collections.abc import Iterator
from pathlib import Path

from grader.layout import hidden_seed

__all__ = ["MIN_BODY_CHARS", "check_release", "function_bodies", "normalize", "secret_bodies"]

MIN_BODY_CHARS = 30  # `return self.net(x)` and the like are too generic to call a leak
MIN_SEED_CHARS = 6  # a shorter seed would match unrelated text
FORBIDDEN_PARTS = {"solutions", "suites", "hidden", "__pycache__"}
FORBIDDEN_NAMES = {"hidden_seed.txt", "test_labels.npy", "test_masks.npy", "test_tokens.npy"}
DATA_SUFFIXES = (".npy", ".npz", ".pt", ".pth", ".ckpt", ".safetensors")


def check_release(release: Path, project_root: Path) -> list[str]:
    """Every leak found in `release`, one line each; empty when clean."""
    files = sorted(_files(release))
    problems = [f"{rel}: must not be shipped" for rel, _ in files if _forbidden_name(rel)]
    secrets = secret_bodies(project_root)
    seed = _hidden_seed(project_root)
    for rel, path in files:
        text = normalize(path.read_bytes().decode("utf-8", errors="replace"))
        for origin, body in secrets:
            if body in text:
                problems.append(f"{rel}: contains the body of {origin}")
        if seed and seed in text:
            problems.append(f"{rel}: contains the hidden seed")
    return problems


def function_bodies(path: Path) -> Iterator[tuple[str, str]]:
    """(qualified name, normalized body without its docstring) of each function in `path`."""
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    for node in ast.walk(ast.parse(source, filename=str(path))):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        body = node.body
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            body = body[1:]  # the docstring is shared with the starter on purpose
        if not body or body[-1].end_lineno is None:
            continue
        text = normalize("\n".join(lines[body[0].lineno - 1 : body[-1].end_lineno]))
        yield node.name, text


def normalize(text: str) -> str:
    """Lines stripped of indentation and trailing space, blank lines dropped."""
    return "\n".join(s for s in (line.strip() for line in text.splitlines()) if s)


def secret_bodies(root: Path) -> list[tuple[str, str]]:
    """("path:function", normalized body) of every solution and hidden-suite function that
    must not appear in a release: non-trivial, and not given to students as is.

    A solution body counts as given only when the starter's same file has a function of
    the same name with the same body (a helper such as `main()`); the same text anywhere
    else (a public test, a handout, another function) is a leak.
    """
    secrets = []
    for path in _python_files(root / "solutions"):
        rel = path.relative_to(root / "solutions")
        given = _bodies_by_name(root / "assignments" / rel)
        for name, body in function_bodies(path):
            if len(body) >= MIN_BODY_CHARS and body not in given.get(name, set()):
                secrets.append((f"solutions/{rel.as_posix()}:{name}", body))
    for path in _python_files(root / "grader" / "suites"):
        suite_file = path.relative_to(root).as_posix()
        secrets += [
            (f"{suite_file}:{n}", b) for n, b in function_bodies(path) if len(b) >= MIN_BODY_CHARS
        ]
    return secrets


def _bodies_by_name(path: Path) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    if path.is_file():
        for name, body in function_bodies(path):
            found.setdefault(name, set()).add(body)
    return found


def _python_files(top: Path) -> list[Path]:
    return (
        sorted(p for p in top.rglob("*.py") if "__pycache__" not in p.parts) if top.is_dir() else []
    )


def _hidden_seed(root: Path) -> str | None:
    seed = hidden_seed(root, required=False) or ""  # grader.layout: one reading of the seed
    return seed if len(seed) >= MIN_SEED_CHARS else None


def _forbidden_name(rel: str) -> bool:
    parts = rel.split("/")
    return (
        bool(FORBIDDEN_PARTS.intersection(parts[:-1]))
        or parts[-1] in FORBIDDEN_NAMES
        or parts[-1].endswith(DATA_SUFFIXES)
        or rel.startswith(("datasets/data/", "tools/", "tests/"))
    )


def _files(top: Path) -> Iterator[tuple[str, Path]]:
    for dirpath, _, filenames in os.walk(top):
        for name in filenames:
            path = Path(dirpath) / name
            yield path.relative_to(top).as_posix(), path
