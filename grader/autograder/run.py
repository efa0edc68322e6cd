"""What `run_autograder` does inside the Gradescope container, for one submission.

    python -m grader.autograder.run [--root /autograder]

Reads source/autograder.json (homework + policy) and submission_metadata.json, applies
the rate limit, copies the whitelisted files of submission/, grades them with the hidden
suite through `grader.api.grade` (the same engine and sandbox as everywhere), applies the
late penalty and writes results/results.json. The file is written on every path: a
submission that cannot be graded gets a visible explanation, and a crash of the grader
itself gets an "autograder failed, contact course staff" test plus a hidden test carrying
the traceback, with score 0.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path
from types import FrameType
from typing import Any

from grader.autograder.metadata import (
    RATE_LIMITED_KEY,
    MetadataError,
    RateDecision,
    SubmissionMetadata,
    late_decision,
    load_metadata,
    rate_decision,
)
from grader.autograder.policy import AutograderConfig
from grader.autograder.schema import validate_results
from grader.autograder.submission import SubmissionProblem, prepare_submission
from grader.formatters import write_json_atomic

__all__ = ["failure_results", "main", "run_autograder"]

ROOT_ENV = "GRADER_AUTOGRADER_ROOT"
DEADLINE_MARGIN_S = 20.0  # write our own timeout results this long before Gradescope's kill
FAILED_NAME = "autograder failed, contact course staff"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grader.autograder.run")
    parser.add_argument(
        "--root",
        default=os.environ.get(ROOT_ENV, "/autograder"),
        help=f"the autograder root (default: ${ROOT_ENV}, else /autograder)",
    )
    args = parser.parse_args(argv)
    run_autograder(Path(args.root))
    return 0


def run_autograder(root: Path) -> dict[str, Any]:
    """Grade `root`/submission and write `root`/results/results.json; returns its content."""
    started = time.monotonic()
    writer = _ResultsWriter(root / "results" / "results.json")
    previous_term = signal.signal(signal.SIGTERM, _raise_exit)
    watchdogs: list[threading.Timer] = []
    results: dict[str, Any] | None = None
    try:
        results = _grade(root, writer, started, watchdogs)
        problems = validate_results(results)
        if problems:
            raise RuntimeError("results.json would be invalid: " + "; ".join(problems[:5]))
    except BaseException:  # noqa: BLE001 - every failure must still produce results.json
        results = failure_results(traceback.format_exc())
    finally:
        if results is None:  # only reachable if formatting the traceback itself failed
            results = failure_results("no results were produced")
        results.setdefault("execution_time", round(time.monotonic() - started, 3))
        writer.write(results)
        for timer in watchdogs:
            timer.cancel()
        signal.signal(signal.SIGTERM, previous_term)
    return results


def failure_results(detail: str) -> dict[str, Any]:
    """Score 0, a visible "contact course staff" test, and a hidden one with `detail`."""
    return {
        "score": 0.0,
        "output": "The autograder failed while grading this submission. This is a problem "
        "with the grader, not necessarily with your code: please contact course staff.",
        "visibility": "visible",
        "tests": [
            _test_entry(
                FAILED_NAME,
                "The grader crashed. Course staff can see the details.",
                visibility="visible",
            ),
            _test_entry(
                "autograder traceback (staff only)",
                detail[-20_000:],
                visibility="hidden",
                number="0.2",
            ),
        ],
        "extra_data": {"autograder_error": True},
    }


def _grade(
    root: Path, writer: _ResultsWriter, started: float, watchdogs: list[threading.Timer]
) -> dict[str, Any]:
    from grader import homeworks

    source = root / "source"
    config_path = source / "autograder.json"
    config = AutograderConfig.from_dict(
        json.loads(config_path.read_text(encoding="utf-8")), source=str(config_path)
    )
    policy = config.policy
    limit_s = policy.run_limit_minutes * 60.0 - DEADLINE_MARGIN_S
    watchdogs.append(_start_watchdog(writer, started, limit_s))
    homework = homeworks.get(config.homework, root=source)
    notes: list[str] = []
    meta = _metadata(root / "submission_metadata.json", notes)

    if policy.rate_limit is not None and meta is not None:
        decision = rate_decision(policy.rate_limit, meta.created_at, meta.previous)
        if not decision.allowed:
            return _rate_limited_results(decision)
        notes.append(decision.message)

    with tempfile.TemporaryDirectory(prefix="grader-submission-") as tmp:
        try:
            prepared = prepare_submission(homework, root / "submission", Path(tmp))
        except SubmissionProblem as exc:
            return _unusable_submission_results(str(exc))
        if prepared.from_starter:
            notes.append(
                "Not in your submission, taken from the starter: "
                + ", ".join(prepared.from_starter)
            )
        from grader.api import grade

        report = grade(homework, prepared.root)

    extra: dict[str, Any] = {RATE_LIMITED_KEY: False, "raw_score": report.score}
    if policy.late is not None and meta is not None:
        late = late_decision(policy.late, meta.created_at, meta.due_date)
        if late.days_late:
            report.score_override = round(report.score * (1.0 - late.penalty_fraction), 4)
            notes.append(late.message)
            extra["late"] = {"days": late.days_late, "penalty_fraction": late.penalty_fraction}
    if meta is not None:
        extra["submission_id"] = meta.submission_id
    report.extra_data = {**report.extra_data, **extra}
    if notes:
        report.output = "\n".join([*notes, report.output] if report.output else notes)

    from grader.formatters.gradescope import to_gradescope

    results = to_gradescope(report)
    if not policy.leaderboard:
        results.pop("leaderboard", None)
    return results


def _metadata(path: Path, notes: list[str]) -> SubmissionMetadata | None:
    if not path.is_file():
        return None  # run by hand or in a test: no lateness, no limit
    try:
        return load_metadata(path)
    except MetadataError as exc:
        notes.append(f"Note: {exc}; no late penalty or submission limit was applied.")
        return None


def _rate_limited_results(decision: RateDecision) -> dict[str, Any]:
    return _notice(
        "Submission limit",
        decision.message,
        score=decision.best_previous,
        extra={RATE_LIMITED_KEY: True, "graded_in_window": decision.used},
    )


def _unusable_submission_results(message: str) -> dict[str, Any]:
    results = _notice("Submission check", message, extra={"unusable_submission": True})
    results["output"] = f"Your submission could not be graded: {message}"
    return results


def _notice(
    name: str, message: str, *, extra: dict[str, Any], score: float = 0.0
) -> dict[str, Any]:
    """Results that are one visible explanation instead of a grading run."""
    test = _test_entry(name, message, visibility="visible")
    return {
        "score": score,
        "output": message,
        "visibility": "visible",
        "tests": [test],
        "extra_data": {RATE_LIMITED_KEY: False, **extra},
    }


def _test_entry(name: str, output: str, *, visibility: str, number: str = "0.1") -> dict[str, Any]:
    """A 0-point failed test: it carries a message, never points."""
    text = output.replace("\r\n", "\n").replace("\r", "\n")
    return {
        "name": name,
        "number": number,
        "score": 0.0,
        "max_score": 0.0,
        "status": "failed",
        "visibility": visibility,
        "output": text,
    }


class _ResultsWriter:
    """Writes results.json once: whichever of the main path and the watchdog comes first."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._written = False

    def write(self, results: dict[str, Any]) -> bool:
        with self._lock:
            if self._written:
                return False
            write_json_atomic(self.path, results)
            self._written = True
            return True


def _start_watchdog(writer: _ResultsWriter, started: float, limit_s: float) -> threading.Timer:
    """Before Gradescope kills the run (which leaves no results.json), write a clear
    timeout result and exit."""

    def fire() -> None:
        minutes = (limit_s + DEADLINE_MARGIN_S) / 60.0
        message = (
            f"Grading did not finish within the {minutes:g}-minute limit. If your training "
            "runs long, make it do less work; otherwise contact course staff."
        )
        results = _notice("Time limit", message, extra={"timed_out": True})
        results["execution_time"] = round(time.monotonic() - started, 3)
        if writer.write(results):
            # Workers run in their own sessions under time limits of their own; the
            # container goes away after the run, so exiting now is enough.
            os._exit(0)

    timer = threading.Timer(max(1.0, limit_s - (time.monotonic() - started)), fire)
    timer.daemon = True
    timer.start()
    return timer


def _raise_exit(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(f"terminated by signal {signum}")


if __name__ == "__main__":
    sys.exit(main())
