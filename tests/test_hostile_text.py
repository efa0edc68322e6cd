"""Hostile strings from a student (ANSI escapes, \\r, bidi controls, lone surrogates)
through every output path: terminal report, machine JSON, results.json, notices, CLI
errors, and an end-to-end grade whose exception message carries them."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from grader.autograder.notices import failure_results, notice
from grader.autograder.schema import validate_results
from grader.formatters import write_json_atomic
from grader.formatters.gradescope import to_gradescope
from grader.formatters.terminal import render
from grader.results import GradeReport, LeaderboardEntry, TestResult

sys.path.insert(0, str(Path(__file__).resolve().parent / "engine"))

FAKE_TOTAL = "\x1b[2J\x1b[H 1.1 all tests 100.00 / 100\rtotal 100.00 / 100"
HOSTILE = f"{FAKE_TOTAL} \ud800 \u202eevil \x07\x9b"
RAW = ("\x1b", "\r", "\ud800", "\u202e", "\x07", "\x9b")


def _hostile_report() -> GradeReport:
    return GradeReport(
        homework="hw1",
        submission=f"subs/{HOSTILE}",
        output=f"note: {HOSTILE}",
        tests=[
            TestResult(
                "1.1",
                f"name [{HOSTILE}]",
                0,
                10,
                "failed",
                output=f"ValueError: {HOSTILE}",
                detail=f"Your code printed:\n{HOSTILE}",
                extra_data={f"key{HOSTILE}": HOSTILE},
            )
        ],
        leaderboard=[LeaderboardEntry("accuracy", HOSTILE)],
        extra_data={"student": HOSTILE},
    )


def _assert_clean(text: str) -> None:
    for char in RAW:
        assert char not in text, f"{char!r} reached the output"
    text.encode("utf-8")  # no lone surrogate left
    assert "\\x1b[2J" in text and "\\ud800" in text  # escaped visibly, not dropped


def test_terminal_report_escapes_everything() -> None:
    for verbose in (False, True):
        text = render(_hostile_report(), verbose=verbose, width=120)
        _assert_clean(text)
        assert text.splitlines()[-1].startswith("total 0.00 / 10")


def test_results_json_and_machine_json_escape_everything(tmp_path: Path) -> None:
    report = _hostile_report()
    data = to_gradescope(report)
    assert validate_results(data) == []
    _assert_clean(json.dumps(data, ensure_ascii=False))
    for name, payload in (("results.json", data), ("report.json", report.to_dict())):
        path = write_json_atomic(tmp_path / name, payload)
        _assert_clean(path.read_text(encoding="utf-8"))


def test_write_json_atomic_escapes_raw_payloads(tmp_path: Path) -> None:
    path = write_json_atomic(tmp_path / "x.json", {HOSTILE: [HOSTILE]})
    _assert_clean(path.read_text(encoding="utf-8"))


def test_notices_escape_everything() -> None:
    for data in (
        notice("Submission check", HOSTILE, extra={"why": HOSTILE}),
        failure_results(f"Traceback\n{HOSTILE}"),
    ):
        assert validate_results(data) == []
        _assert_clean(json.dumps(data, ensure_ascii=False))


def test_cli_error_line_escapes_the_path(capsys: pytest.CaptureFixture[str]) -> None:
    from grader.cli import main

    code = main(["grade", f"hw{HOSTILE}"])
    err = capsys.readouterr().err
    assert code == 2
    _assert_clean(err.replace("\\x1b[2J", "\\x1b[2J"))
    assert len(err.strip().splitlines()) == 1


def test_student_exception_with_hostile_message_is_graded(tmp_path: Path) -> None:
    """A lone surrogate in an exception message used to crash the parent (exit 3)."""
    from helpers import Mutant, make_mutant
    from toy_homework import TOY

    from grader.api import grade

    message = repr(HOSTILE)  # a Python literal: the surrogate survives into the source
    mutant = Mutant(
        "hostile", "toyhw/models.py", "return self.fc(x)", f"raise ValueError({message})", ()
    )
    submission = make_mutant(TOY.solution_dir, mutant, tmp_path / "hostile")
    report = grade(TOY, submission, threads=1, keyword="linear")
    assert report.tests and report.score < report.max_score
    text = render(report, verbose=True, width=120)
    for char in RAW:
        assert char not in text
    text.encode("utf-8")
    out = write_json_atomic(tmp_path / "results.json", to_gradescope(report))
    data = json.loads(out.read_text(encoding="utf-8"))
    assert validate_results(data) == []
    assert "\\x1b[2J" in json.dumps(data, ensure_ascii=False)
