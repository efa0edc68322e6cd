"""Gradescope presentation per policy (visibility, tags, leaderboard, output), and the
one JSON Schema every results.json is checked against, on every notice path."""

from __future__ import annotations

import pytest

from grader.autograder.guard import ResultsGuard
from grader.autograder.notices import failure_results, notice
from grader.autograder.policy import AutograderPolicy
from grader.autograder.presentation import gradescope_results
from grader.autograder.schema import validate_results
from grader.errors import GraderError
from grader.results import GradeReport, TestResult


def _hw3_report() -> GradeReport:
    return GradeReport(
        homework="hw3",
        submission="upload",
        output="device: cpu, 1 thread\nsandbox layers: environment, hidden paths\n"
        "Task 4: accuracy on held-out test images 0.871",
        tests=[
            TestResult("1.1", "Residual block shape", 5, 5, "passed"),
            TestResult("4.2", "Returned in eval mode", 2, 2, "passed"),
            TestResult(
                "4.3",
                "Test accuracy",
                12.5,
                19,
                "failed",
                output="accuracy 0.871",
                extra_data={"accuracy": 0.871, "training": {"budget_s": 100}},
            ),
        ],
    )


def test_hw3_results_follow_the_policy() -> None:
    policy = AutograderPolicy(hidden_visibility="after_published", score_visibility="hidden")
    data = gradescope_results(_hw3_report(), policy)
    assert validate_results(data) == []
    by_number = {t["number"]: t for t in data["tests"]}
    assert by_number["4.3"]["visibility"] == "after_published"  # scored on hidden data
    assert by_number["1.1"]["visibility"] == "visible"
    assert by_number["1.1"]["tags"] == ["Task 1"] and by_number["4.3"]["tags"] == ["Task 4"]
    assert data["visibility"] == "hidden"
    assert data["leaderboard"] == [{"name": "test accuracy", "value": 0.871, "order": "desc"}]
    assert all(t["output_format"] == "text" for t in data["tests"])
    assert data["output_format"] == "text"
    assert data["output"].startswith("hw3: 19.5 / 26 points")
    assert "sandbox layers" not in data["output"] and "device:" not in data["output"]
    assert any("sandbox layers" in line for line in data["extra_data"]["grader"])


def test_default_policy_hides_until_due_date_and_leaderboard_can_be_off() -> None:
    data = gradescope_results(_hw3_report(), AutograderPolicy())
    assert {t["number"]: t["visibility"] for t in data["tests"]}["4.3"] == "after_due_date"
    assert data["visibility"] == "visible"
    off = gradescope_results(_hw3_report(), AutograderPolicy(leaderboard=False))
    assert "leaderboard" not in off


@pytest.mark.parametrize(
    ("homework", "number", "extra", "column", "order", "value"),
    [
        ("hw4", "5.5", {"mean_iou": 0.61}, "test mean IoU", "desc", 0.61),
        ("hw5", "5.2", {"nll": {"model": 1.93, "floor": 1.5}}, "test NLL (nats/char)", "asc", 1.93),
    ],
)
def test_leaderboards_of_hw4_and_hw5(homework, number, extra, column, order, value) -> None:
    report = GradeReport(
        homework=homework,
        submission="s",
        tests=[TestResult(number, "metric", 1, 2, "failed", extra_data=extra)],
    )
    data = gradescope_results(report, AutograderPolicy())
    assert data["leaderboard"] == [{"name": column, "value": value, "order": order}]


def test_no_leaderboard_entry_without_a_recorded_value() -> None:
    report = _hw3_report()
    report.tests[-1].extra_data = {}  # training failed before the metric
    assert "leaderboard" not in gradescope_results(report, AutograderPolicy())


def test_policy_refuses_bad_visibility_in_one_line() -> None:
    with pytest.raises(GraderError, match="hidden_visibility must be one of"):
        AutograderPolicy.from_dict({"hidden_visibility": "visible"})
    with pytest.raises(GraderError, match="score_visibility must be one of"):
        AutograderPolicy.from_dict({"score_visibility": "later"})
    policy = AutograderPolicy.from_dict({"hidden_visibility": "after_published"})
    assert AutograderPolicy.from_dict(policy.to_dict()) == policy


def test_every_notice_path_is_valid(tmp_path) -> None:
    """Unusable upload, rate limit, time limit / SIGTERM (the guard), grader crash."""
    notices = [
        notice("Submission check", "no file of hw1 found", extra={"unusable_submission": True}),
        notice("Submission limit", "limit reached", score=7.0, extra={"rate_limited": True}),
        notice("Time limit", "did not finish", extra={"timed_out": True}),
        failure_results("Traceback (most recent call last):\n  ...\nValueError: x"),
    ]
    for data in notices:
        assert validate_results(data) == [], validate_results(data)
        assert data["output_format"] == "text"
        assert all(t["output_format"] == "text" for t in data["tests"])
    with ResultsGuard(tmp_path / "results.json") as guard:
        assert guard.write(notices[2])
    import json

    assert validate_results(json.loads((tmp_path / "results.json").read_text())) == []


def test_schema_refuses_what_gradescope_would() -> None:
    good = gradescope_results(_hw3_report(), AutograderPolicy())
    assert validate_results(good) == []
    for breakage in (
        lambda d: d["tests"][0].pop("output_format"),
        lambda d: d.__setitem__("score", float("nan")),
        lambda d: d["tests"][0].__setitem__("visibility", "soon"),
        lambda d: d["leaderboard"][0].__setitem__("order", "up"),
        lambda d: d.__setitem__("execution_time", "1.0"),
    ):
        bad = gradescope_results(_hw3_report(), AutograderPolicy())
        breakage(bad)
        assert validate_results(bad), breakage
