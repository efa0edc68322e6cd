"""The result model: one `TestResult` per hidden test, gathered in a `GradeReport`.

Formatters (terminal, Gradescope, machine JSON) depend on this module, never the reverse.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from grader.text import safe_data

Status = Literal["passed", "failed"]
Visibility = Literal["visible", "hidden", "after_due_date", "after_published"]
VISIBILITIES: tuple[str, ...] = ("visible", "hidden", "after_due_date", "after_published")


@dataclass
class TestResult:
    number: str  # "1.2": Gradescope sorts by it
    name: str
    score: float
    max_score: float
    status: Status
    output: str = ""  # the one-line reason shown to the student, more lines with -v
    visibility: str = "visible"
    tags: list[str] = field(default_factory=list)
    extra_data: dict[str, Any] = field(default_factory=dict)
    detail: str = (
        ""  # long text for -v and for TAs (the student's own traceback); not shown by default
    )

    __test__ = False  # not a pytest test class


@dataclass
class LeaderboardEntry:
    name: str
    value: float | str
    order: Literal["asc", "desc"] = "desc"


@dataclass
class GradeReport:
    homework: str
    submission: str
    tests: list[TestResult] = field(default_factory=list)
    execution_time: float = 0.0  # seconds, wall clock for the whole grading run
    device: str = "cpu"
    suite: str = "hidden"  # which suite ran: "hidden" (the grade) or "public" (an estimate)
    output: str = ""  # top-of-report text: device, budget, sandbox layers, notes
    leaderboard: list[LeaderboardEntry] = field(default_factory=list)
    extra_data: dict[str, Any] = field(default_factory=dict)
    score_override: float | None = None  # e.g. after a late penalty; None = sum of the tests

    @property
    def score(self) -> float:
        if self.score_override is not None:
            return self.score_override
        return round(sum(t.score for t in self.tests), 4)

    @property
    def max_score(self) -> float:
        return round(sum(t.max_score for t in self.tests), 4)

    def to_dict(self) -> dict[str, Any]:
        """Machine JSON: everything, including the long details."""
        data = asdict(self)
        data["score"] = self.score
        data["max_score"] = self.max_score
        return dict(safe_data(data))  # student text escaped: see grader/text.py

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GradeReport:
        data = dict(data)
        data.pop("score", None)
        data.pop("max_score", None)
        tests = [TestResult(**t) for t in data.pop("tests", [])]
        board = [LeaderboardEntry(**e) for e in data.pop("leaderboard", [])]
        return cls(tests=tests, leaderboard=board, **data)
