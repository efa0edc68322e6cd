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
import contextlib
import json
import os
import sys
import tempfile
import traceback
from pathlib import Path
from typing import Any

from grader.autograder.guard import ResultsGuard
from grader.autograder.metadata import (
    RATE_LIMITED_KEY,
    MetadataError,
    RateDecision,
    SubmissionMetadata,
    late_decision,
    load_metadata,
    rate_decision,
)
from grader.autograder.notices import failure_results, notice
from grader.autograder.policy import AutograderConfig
from grader.autograder.schema import validate_results
from grader.autograder.submission import SubmissionProblem, prepare_submission

__all__ = ["main", "run_autograder"]

ROOT_ENV = "GRADER_AUTOGRADER_ROOT"
DEADLINE_MARGIN_S = 20.0  # write our own timeout results this long before Gradescope's kill


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
    results: dict[str, Any] | None = None
    with ResultsGuard(root / "results" / "results.json") as guard:
        try:
            results = _grade(root, guard)
            problems = validate_results(results)
            if problems:
                raise RuntimeError("results.json would be invalid: " + "; ".join(problems[:5]))
        except BaseException:  # noqa: BLE001 - every failure must still produce results.json
            results = failure_results(traceback.format_exc())
        finally:
            if results is None:  # only reachable if formatting the traceback itself failed
                results = failure_results("no results were produced")
            guard.write(results)
    return results


def _grade(root: Path, guard: ResultsGuard) -> dict[str, Any]:
    from grader import homeworks

    source = root / "source"
    config_path = source / "autograder.json"
    config = AutograderConfig.from_dict(
        json.loads(config_path.read_text(encoding="utf-8")), source=str(config_path)
    )
    policy = config.policy
    guard.arm(policy.run_limit_minutes * 60.0, DEADLINE_MARGIN_S)
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

        report = grade(homework, prepared.root, listener=guard.progress)

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
    # It holds earlier results, hidden tests' output included: close it to the sandbox
    # user (workers run as that user when we are root, as on Gradescope).
    with contextlib.suppress(OSError):
        os.chmod(path, 0o600)
    try:
        return load_metadata(path)
    except MetadataError as exc:
        notes.append(f"Note: {exc}; no late penalty or submission limit was applied.")
        return None


def _rate_limited_results(decision: RateDecision) -> dict[str, Any]:
    return notice(
        "Submission limit",
        decision.message,
        score=decision.best_previous,
        extra={RATE_LIMITED_KEY: True, "graded_in_window": decision.used},
    )


def _unusable_submission_results(message: str) -> dict[str, Any]:
    results = notice("Submission check", message, extra={"unusable_submission": True})
    results["output"] = f"Your submission could not be graded: {message}"
    return results


if __name__ == "__main__":
    sys.exit(main())
