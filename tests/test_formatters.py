"""The formatters are pure functions of the result model: test them on hand-made reports."""

from __future__ import annotations

import json

from grader.formatters import write_json_atomic
from grader.formatters.gradescope import to_gradescope
from grader.formatters.terminal import render, summary_line
from grader.results import GradeReport, LeaderboardEntry, TestResult
from grader.scoring import band_points, linear_band


def _report() -> GradeReport:
    return GradeReport(
        homework="hw1",
        submission="assignments/hw1",
        device="cpu",
        execution_time=12.34567,
        output="device cpu\ntraining budget 20 s",
        tests=[
            TestResult("1.1", "Regression recovers the parameters", 10, 10, "passed"),
            TestResult(
                "2.1",
                "LinearClassifier output shape",
                0,
                5,
                "failed",
                output="not implemented yet: Task 2: LinearClassifier.forward",
                detail='File "models.py", line 3\nNotImplementedError',
                visibility="after_due_date",
                tags=["task2"],
            ),
            TestResult("3.1", "Accuracy", 7.5, 20, "failed", output="accuracy 0.61\nmore"),
        ],
        leaderboard=[LeaderboardEntry("accuracy", 0.61)],
    )


def test_gradescope_shape_and_types() -> None:
    data = to_gradescope(_report())
    assert data["score"] == 17.5
    assert isinstance(data["execution_time"], float)  # a number, unlike gradescope-utils
    assert "\r" not in data["output"]
    assert [t["number"] for t in data["tests"]] == ["1.1", "2.1", "3.1"]
    failed = data["tests"][1]
    assert failed["status"] == "failed" and failed["max_score"] == 5.0
    assert failed["visibility"] == "after_due_date" and failed["tags"] == ["task2"]
    assert "NotImplementedError" in failed["output"]  # the student's own traceback
    assert data["leaderboard"] == [{"name": "accuracy", "value": 0.61, "order": "desc"}]
    json.dumps(data)  # serialisable as is


def test_score_override_wins() -> None:
    report = _report()
    report.score_override = 5.0
    assert to_gradescope(report)["score"] == 5.0


def test_terminal_gives_one_line_reason_per_lost_point() -> None:
    text = render(_report(), width=160)
    lines = text.splitlines()
    assert lines[0] == "hw1, hidden suite (assignments/hw1) on cpu"
    line_21 = next(line for line in lines if " 2.1 " in line)
    assert line_21.endswith("not implemented yet: Task 2: LinearClassifier.forward")
    assert "NotImplementedError" not in text  # tracebacks only with -v
    assert lines[-1] == "total 17.50 / 35  (12.3 s)"
    verbose = render(_report(), verbose=True, width=160)
    assert "NotImplementedError" in verbose and "more" in verbose
    assert summary_line(_report()).startswith("hw1: 17.50 / 35  (3 tests, 2 with points lost")


def test_report_round_trips_through_machine_json(tmp_path) -> None:
    path = write_json_atomic(tmp_path / "r.json", _report().to_dict())
    again = GradeReport.from_dict(json.loads(path.read_text()))
    assert again == _report()
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind


def test_linear_band_both_directions() -> None:
    assert linear_band(0.4, low=0.5, high=0.9) == 0.0
    assert linear_band(0.7, low=0.5, high=0.9) == 0.5
    assert linear_band(0.95, low=0.5, high=0.9) == 1.0
    assert linear_band(1.5, low=2.0, high=1.0) == 0.5  # lower is better
    assert linear_band(float("nan"), low=0.0, high=1.0) == 0.0
    assert band_points(0.7, low=0.5, high=0.9, points=15) == 7.5
