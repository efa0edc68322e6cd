"""One JSON Schema of Gradescope's results.json, as Gradescope's autograder docs specify it,
and a validator.

`run_autograder` checks its own output with it before writing, and the project's tests
check every results.json they produce: a file Gradescope would reject shows students
"The autograder failed to execute correctly". Beyond the platform's minimum, the schema
asks what this project promises: every `output` declares its format, numbers are finite
numbers (gradescope-utils writes `execution_time` as a string; we do not), and text uses
`\\n` line endings.
"""

from __future__ import annotations

import math
from typing import Any

from jsonschema import Draft202012Validator

__all__ = ["RESULTS_SCHEMA", "validate_results"]

_VISIBILITY = {"enum": ["visible", "hidden", "after_due_date", "after_published"]}
_FORMAT = {"enum": ["text", "html", "simple_format", "md", "ansi"]}
_NUMBER = {"type": "number"}  # finiteness is checked apart: JSON Schema cannot say it
_TEXT = {"type": "string", "not": {"pattern": "\r"}}

_TEST = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "score": _NUMBER,
        "max_score": _NUMBER,
        "status": {"enum": ["passed", "failed"]},
        "name": _TEXT,
        "name_format": _FORMAT,
        "number": _TEXT,
        "output": _TEXT,
        "output_format": _FORMAT,
        "tags": {"type": "array", "items": {"type": "string"}},
        "visibility": _VISIBILITY,
        "extra_data": {"type": "object"},
    },
    "dependentRequired": {"output": ["output_format"]},
}

RESULTS_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Gradescope autograder results.json",
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "score": _NUMBER,
        "execution_time": _NUMBER,
        "output": _TEXT,
        "output_format": _FORMAT,
        "test_output_format": _FORMAT,
        "test_name_format": _FORMAT,
        "visibility": _VISIBILITY,
        "stdout_visibility": _VISIBILITY,
        "extra_data": {"type": "object"},
        "tests": {"type": "array", "items": _TEST},
        "leaderboard": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["name", "value"],
                "properties": {
                    "name": {"type": "string"},
                    "value": {"type": ["number", "string"]},
                    "order": {"enum": ["asc", "desc"]},
                },
            },
        },
    },
    "dependentRequired": {"output": ["output_format"]},
    # A score must be derivable: given, or every test has one (and there is a test).
    "anyOf": [
        {"required": ["score"]},
        {
            "required": ["tests"],
            "properties": {"tests": {"minItems": 1, "items": {"required": ["score"]}}},
        },
    ],
}

_VALIDATOR = Draft202012Validator(RESULTS_SCHEMA)


def validate_results(data: Any) -> list[str]:
    """Every problem found, as 'where: what' lines; an empty list means valid."""
    problems = [
        f"{_where(error.absolute_path)}: {error.message}"
        for error in sorted(_VALIDATOR.iter_errors(data), key=lambda e: list(e.absolute_path))
    ]
    return problems + [f"{where}: {value!r} is not finite" for where, value in _non_finite(data)]


def _where(path: Any) -> str:
    parts = [f"[{p}]" if isinstance(p, int) else f".{p}" for p in path]
    return "results" + "".join(parts)


def _non_finite(value: Any, where: str = "results") -> list[tuple[str, float]]:
    """JSON has no NaN or Infinity: Python's json writes them, Gradescope refuses them."""
    if isinstance(value, float):
        return [] if math.isfinite(value) else [(where, value)]
    if isinstance(value, dict):
        return [hit for k, v in value.items() for hit in _non_finite(v, f"{where}.{k}")]
    if isinstance(value, list):
        return [hit for i, v in enumerate(value) for hit in _non_finite(v, f"{where}[{i}]")]
    return []
