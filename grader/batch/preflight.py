"""Checks made once before any job starts, and the provenance the reports show.

A batch that would fail every submission for the same reason (missing or corrupt data, no
hidden suite) refuses to start, with one line naming what is missing, instead of handing
500 students the grader's problem. Calibration is measured here once (and cached), so the
jobs read it instead of each measuring it on a machine they are keeping busy.
"""

from __future__ import annotations

import hashlib
import platform
import socket
import subprocess
from pathlib import Path
from typing import Any

from grader.batch.journal import now_iso
from grader.errors import GraderError
from grader.homeworks import PROJECT_ROOT, Homework


def suite_files(hw: Homework) -> list[Path]:
    return sorted(p for p in hw.suite_dir.rglob("*.py") if "__pycache__" not in p.parts)


def suite_hash(hw: Homework) -> str:
    digest = hashlib.sha256()
    for path in suite_files(hw):
        digest.update(path.relative_to(hw.suite_dir).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def datasets_used(hw: Homework) -> list[str]:
    """The coursedata datasets whose name the hidden suite mentions, or that its training
    helpers read by default (images)."""
    import coursedata

    text = "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in suite_files(hw))
    used = [name for name in coursedata.DATASETS if f'"{name}"' in text or f"'{name}'" in text]
    if "grader.training" in text and "images" not in used:
        used.append("images")
    return used


def uses_timed_training(hw: Homework) -> bool:
    return any("grader.training" in p.read_text(errors="replace") for p in suite_files(hw))


def preflight(
    hw: Homework, *, device: str | None, threads: int, calibrate: bool = True
) -> dict[str, Any]:
    """Check the suite, the datasets and the calibration; the run's provenance on success,
    a one-line GraderError naming what is missing otherwise."""
    if not hw.has_hidden_suite:
        raise GraderError(f"cannot start: homework {hw.name} has no hidden suite in {hw.suite_dir}")
    from grader.timing import choose_device

    device = choose_device(device)
    datasets = datasets_used(hw)
    _check_datasets(datasets)
    calibration = "not needed (no timed training)"
    if calibrate and uses_timed_training(hw):
        from grader.timing.calibration import calibrate as measure

        try:
            calibration = measure(device, threads).summary()
        except GraderError as exc:
            raise GraderError(f"cannot start: calibration failed: {exc}") from None
    return {
        "homework": hw.name,
        "started_at": now_iso(),
        "commit": _git_commit(),
        "suite_sha256": suite_hash(hw)[:16],
        "datasets": ", ".join(datasets) or "none",
        "calibration": calibration,
        "device": device,
        "threads per submission": threads,
        "host": socket.gethostname(),
        "python": platform.python_version(),
    }


def _check_datasets(names: list[str]) -> None:
    import coursedata

    from grader.commands.data import hidden_seed

    seed = hidden_seed()
    problems = [p for name in names for p in coursedata.check(name, hidden_seed=seed)]
    if problems:
        first = problems[0] if "grader data" in problems[0] else f"{problems[0]}; run `grader data`"
        more = (
            f" (and {len(problems) - 1} more: `grader data --verify` lists them)"
            if len(problems) > 1
            else ""
        )
        raise GraderError(f"cannot start: dataset {first}{more}")


def _git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "-C", str(PROJECT_ROOT), "describe", "--always", "--dirty", "--abbrev=12"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown (no git)"
    return out.stdout.strip() or "unknown (not a git checkout)"
