"""`GradeReport` -> Gradescope results.json (../shared/GRADESCOPE.md), as a plain dict."""

from __future__ import annotations

from typing import Any

from grader.results import VISIBILITIES, GradeReport, TestResult
from grader.text import safe_data

MAX_TEST_OUTPUT_CHARS = 20_000  # Gradescope pages get slow with huge outputs


def to_gradescope(report: GradeReport) -> dict[str, Any]:
    data: dict[str, Any] = {
        "score": report.score,
        "execution_time": round(report.execution_time, 3),  # a number, not a string
        "output": _lf(report.output),
        "output_format": "text",
        "test_output_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": [_test(t) for t in report.tests],
    }
    if report.leaderboard:
        data["leaderboard"] = [
            {"name": e.name, "value": e.value, "order": e.order} for e in report.leaderboard
        ]
    if report.extra_data:
        data["extra_data"] = report.extra_data
    return safe_data(data)  # the student controls outputs and messages


def _test(test: TestResult) -> dict[str, Any]:
    output = test.output
    if test.detail:
        output = f"{output}\n\n{test.detail}" if output else test.detail
    if len(output) > MAX_TEST_OUTPUT_CHARS:
        output = output[:MAX_TEST_OUTPUT_CHARS] + "\n[... output truncated]"
    entry: dict[str, Any] = {
        "number": test.number,
        "name": test.name,
        "score": float(test.score),
        "max_score": float(test.max_score),
        "status": test.status,
        "output": _lf(output),
        "output_format": "text",
        "visibility": test.visibility if test.visibility in VISIBILITIES else "visible",
    }
    if test.tags:
        entry["tags"] = list(test.tags)
    if test.extra_data:
        entry["extra_data"] = test.extra_data
    return entry


def _lf(text: str) -> str:
    return text.replace("\r\n", "\n")  # a lone \r is escaped by safe_data
