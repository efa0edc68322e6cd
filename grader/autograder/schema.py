"""A validator for Gradescope's results.json, as Gradescope's autograder docs specify it.

`run_autograder` checks its own output with it before writing, and the project's tests
check every results.json they produce: a file Gradescope would reject shows students
"The autograder failed to execute correctly".
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["validate_results"]

VISIBILITY = {"visible", "hidden", "after_due_date", "after_published"}
FORMATS = {"text", "html", "simple_format", "md", "ansi"}
TOP_KEYS = {
    "score",
    "execution_time",
    "output",
    "output_format",
    "test_output_format",
    "test_name_format",
    "visibility",
    "stdout_visibility",
    "extra_data",
    "tests",
    "leaderboard",
}
TEST_KEYS = {
    "score",
    "max_score",
    "status",
    "name",
    "name_format",
    "number",
    "output",
    "output_format",
    "tags",
    "visibility",
    "extra_data",
}
LEADERBOARD_KEYS = {"name", "value", "order"}


def validate_results(data: Any) -> list[str]:
    """Every problem found, as 'where: what' lines; an empty list means valid."""
    if not isinstance(data, dict):
        return [f"results: expected an object, got {type(data).__name__}"]
    problems = _unknown(data, TOP_KEYS, "results")
    for key in ("score", "execution_time"):
        if key in data:
            problems += _number(data[key], key)
    problems += _strings(data, ("output",), "results")
    problems += _enum(
        data, ("output_format", "test_output_format", "test_name_format"), FORMATS, "results"
    )
    problems += _enum(data, ("visibility", "stdout_visibility"), VISIBILITY, "results")
    if "extra_data" in data and not isinstance(data["extra_data"], dict):
        problems.append("extra_data: expected an object")
    tests = data.get("tests", [])
    if not isinstance(tests, list):
        problems.append("tests: expected a list")
        tests = []
    for i, test in enumerate(tests):
        problems += _test(test, f"tests[{i}]")
    if "score" not in data and not tests:
        problems.append("results: no score and no tests, so no score can be derived")
    if "score" not in data and any(isinstance(t, dict) and "score" not in t for t in tests):
        problems.append("results: no top-level score and a test without a score")
    board = data.get("leaderboard", [])
    if not isinstance(board, list):
        problems.append("leaderboard: expected a list")
        board = []
    for i, entry in enumerate(board):
        problems += _leaderboard(entry, f"leaderboard[{i}]")
    return problems


def _test(test: Any, where: str) -> list[str]:
    if not isinstance(test, dict):
        return [f"{where}: expected an object"]
    problems = _unknown(test, TEST_KEYS, where)
    for key in ("score", "max_score"):
        if key in test:
            problems += _number(test[key], f"{where}.{key}")
    if "status" in test and test["status"] not in ("passed", "failed"):
        problems.append(f"{where}.status: {test['status']!r} is not 'passed' or 'failed'")
    problems += _strings(test, ("name", "number", "output"), where)
    problems += _enum(test, ("output_format", "name_format"), FORMATS, where)
    problems += _enum(test, ("visibility",), VISIBILITY, where)
    tags = test.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        problems.append(f"{where}.tags: expected a list of strings")
    if "extra_data" in test and not isinstance(test["extra_data"], dict):
        problems.append(f"{where}.extra_data: expected an object")
    return problems


def _leaderboard(entry: Any, where: str) -> list[str]:
    if not isinstance(entry, dict):
        return [f"{where}: expected an object"]
    problems = _unknown(entry, LEADERBOARD_KEYS, where)
    if not isinstance(entry.get("name"), str):
        problems.append(f"{where}.name: expected a string")
    value = entry.get("value")
    if not isinstance(value, str):
        problems += _number(value, f"{where}.value")
    if entry.get("order", "desc") not in ("asc", "desc"):
        problems.append(f"{where}.order: {entry.get('order')!r} is not 'asc' or 'desc'")
    return problems


def _number(value: Any, where: str) -> list[str]:
    # Strings are refused although gradescope-utils writes execution_time as one.
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return [f"{where}: expected a number, got {value!r}"]
    if not math.isfinite(value):
        return [f"{where}: {value!r} is not finite (JSON has no NaN or Infinity)"]
    return []


def _strings(data: dict[str, Any], keys: tuple[str, ...], where: str) -> list[str]:
    problems = []
    for k in keys:
        if k not in data:
            continue
        if not isinstance(data[k], str):
            problems.append(f"{where}.{k}: expected a string, got {type(data[k]).__name__}")
        elif "\r" in data[k]:
            problems.append(f"{where}.{k}: contains \\r; Gradescope expects \\n line endings")
    return problems


def _enum(data: dict[str, Any], keys: tuple[str, ...], allowed: set[str], where: str) -> list[str]:
    return [
        f"{where}.{k}: {data[k]!r} is not one of {', '.join(sorted(allowed))}"
        for k in keys
        if k in data and data[k] not in allowed
    ]


def _unknown(data: dict[str, Any], allowed: set[str], where: str) -> list[str]:
    return [f"{where}: unknown key {k!r}" for k in sorted(set(data) - allowed)]
