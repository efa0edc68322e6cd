"""Fixtures shared by the project's tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Toy homeworks' hidden suites run only through the grader, never as the project's tests.
collect_ignore = ["batch_toy"]


@pytest.fixture(scope="session")
def project_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def graded() -> Callable[..., object]:
    """Grade (homework, submission dir, keyword) once per session and share the report.

    Real homeworks train models, so grading the reference takes minutes; tests that only
    read the report should not pay for it again.
    """
    from grader.api import grade

    cache: dict[tuple[str, str, str | None], object] = {}

    def _graded(homework: str, submission: Path, keyword: str | None = None):
        key = (homework, str(Path(submission).resolve()), keyword)
        if key not in cache:
            cache[key] = grade(homework, submission, keyword=keyword)
        return cache[key]

    return _graded
