"""Results that explain instead of grade: a crash of the grader, a refused or ungradable
submission, a time limit. Each is a valid results.json on its own."""

from __future__ import annotations

from typing import Any

from grader.text import safe_data, safe_text

__all__ = ["FAILED_NAME", "failure_results", "notice", "test_entry"]

RATE_LIMITED_KEY = "rate_limited"  # in extra_data; see metadata.py
FAILED_NAME = "autograder failed, contact course staff"
MAX_DETAIL_CHARS = 20_000


def failure_results(detail: str) -> dict[str, Any]:
    """Score 0, a visible "contact course staff" test, and a hidden one with `detail`."""
    return {
        "score": 0.0,
        "output": "The autograder failed while grading this submission. This is a problem "
        "with the grader, not necessarily with your code: please contact course staff.",
        "output_format": "text",
        "test_output_format": "text",
        "visibility": "visible",
        "tests": [
            test_entry(
                FAILED_NAME,
                "The grader crashed. Course staff can see the details.",
                visibility="visible",
            ),
            test_entry(
                "autograder traceback (staff only)",
                detail[-MAX_DETAIL_CHARS:],
                visibility="hidden",
                number="0.2",
            ),
        ],
        "extra_data": {"autograder_error": True},
    }


def notice(name: str, message: str, *, extra: dict[str, Any], score: float = 0.0) -> dict[str, Any]:
    """One visible explanation instead of a grading run."""
    return safe_data(
        {
            "score": score,
            "output": safe_text(message),
            "output_format": "text",
            "test_output_format": "text",
            "visibility": "visible",
            "tests": [test_entry(name, message, visibility="visible")],
            "extra_data": {RATE_LIMITED_KEY: False, **extra},
        }
    )


def test_entry(name: str, output: str, *, visibility: str, number: str = "0.1") -> dict[str, Any]:
    """A 0-point failed test: it carries a message, never points."""
    return {
        "name": name,
        "number": number,
        "score": 0.0,
        "max_score": 0.0,
        "status": "failed",
        "visibility": visibility,
        "output": safe_text(output),
        "output_format": "text",
    }


test_entry.__test__ = False  # type: ignore[attr-defined]  # not a pytest test
