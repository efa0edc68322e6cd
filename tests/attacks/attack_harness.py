"""Grade one attack and report what happened, in the grading user's own process.

Used in-process by the root test session, and as `python harness.py` (one JSON request per
stdin line, one `@@OUTCOME {json}` line per answer) run as an unprivileged user. The
checks that need root (the repo's sentinel tree, leftover processes, the loopback
listener) stay in the test process; see test_attacks.py.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import shutil
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from attack_catalog import BY_NAME, Attack  # noqa: E402

from grader import sandbox  # noqa: E402
from grader.errors import GraderError  # noqa: E402
from grader.homeworks import Homework  # noqa: E402

VICTIM_DIR = HERE / "victim"
VICTIM = Homework(
    name="victim",
    package="victim",
    starter_dir=VICTIM_DIR / "starter",
    suite_dir=VICTIM_DIR / "suite",
    solution_dir=VICTIM_DIR / "solution",
)
HIDDEN_LABELS = VICTIM_DIR / "hidden" / "labels.npy"
GiB, MiB = 1 << 30, 1 << 20


@dataclasses.dataclass(frozen=True)
class Context:
    """What the test session hands every attack run."""

    workspace: str  # writable by the grading user; submissions are copied here
    results_dir: str  # the fake results location (the worker must not see it)
    flag_dir: str  # world-writable: a file here means planted code ran
    marker: str  # argument of the `sleep` children attacks leave behind
    port: int  # the test session's loopback listener


def materialize(attack: Attack, ctx: Context) -> Path:
    """Copy the attack's submission, filling in its @@PLACEHOLDERS@@; zip it if asked."""
    subs = {
        "@@MARKER@@": ctx.marker,
        "@@PORT@@": str(ctx.port),
        "@@RESULTS_DIR@@": ctx.results_dir,
        "@@FLAG_DIR@@": ctx.flag_dir,
        "@@LABELS@@": str(HIDDEN_LABELS),
    }
    dest = Path(ctx.workspace) / attack.name
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(attack.submission, dest, symlinks=True)
    for path in dest.rglob("*"):
        if path.is_file() and not path.is_symlink():
            text = path.read_text()
            for key, value in subs.items():
                text = text.replace(key, value)
            path.write_text(text)
    if not attack.zip_extra:
        return dest
    archive = dest.with_suffix(".zip")
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(dest.rglob("*.py")):
            zf.write(path, path.relative_to(dest).as_posix())
        for name, data in attack.zip_extra.items():
            for key, value in subs.items():
                name = name.replace(key, value)
            zf.writestr(name, data)
    return archive


@contextlib.contextmanager
def catalog_policy(ctx: Context) -> Iterator[None]:
    """Grade with the victim's suite and the fake results dir hidden, and tight limits
    (the engine asks `sandbox.default_policy` for its policy once per session)."""
    original = sandbox.default_policy

    def policy(**kwargs: Any) -> sandbox.SandboxPolicy:
        hidden = [*kwargs.pop("hidden_paths", ()), VICTIM_DIR / "hidden", ctx.results_dir]
        # protect=False: chmod would lock the unprivileged run out of the victim's suite;
        # the mount layer hides these paths from the worker either way.
        base = original(**kwargs, hidden_paths=hidden, protect=False)
        return dataclasses.replace(
            base, address_space_bytes=5 * GiB, max_file_bytes=32 * MiB, cpu_time_s=30
        )

    sandbox.default_policy = policy  # type: ignore[assignment]
    try:
        yield
    finally:
        sandbox.default_policy = original  # type: ignore[assignment]


def tree_digest(root: str | Path) -> str:
    """A digest of every name, mode and content under root (__pycache__ excluded)."""
    digest = hashlib.sha256()
    root = Path(root)
    if not root.exists():
        return "absent"
    for path in sorted(root.rglob("*")):
        if "__pycache__" in path.parts:
            continue
        st = path.lstat()
        digest.update(f"{path.relative_to(root)}\0{st.st_mode:o}\0".encode())
        if path.is_file() and not path.is_symlink():
            digest.update(path.read_bytes())
        elif path.is_symlink():
            digest.update(os.readlink(path).encode())
    return digest.hexdigest()


def run_attack(name: str, ctx: Context) -> dict[str, Any]:
    """Grade one attack; returns scores, the results.json check and the output size."""
    from grader.api import grade
    from grader.formatters.gradescope import to_gradescope

    attack = BY_NAME[name]
    submission = materialize(attack, ctx)
    results_before = tree_digest(ctx.results_dir)
    outcome: dict[str, Any] = {"attack": name}
    try:
        with catalog_policy(ctx):
            report = grade(VICTIM, submission, keyword=attack.keyword, threads=1)
    except GraderError as exc:
        outcome["error"] = str(exc)
        return outcome
    outcome["results_dir_untouched"] = tree_digest(ctx.results_dir) == results_before
    outcome["scores"] = {t.number: t.score for t in report.tests}
    outcome["max_scores"] = {t.number: t.max_score for t in report.tests}
    outcome["outputs"] = {t.number: t.output[:300] for t in report.tests}
    outcome["output_chars"] = sum(len(t.output) + len(t.detail) for t in report.tests)
    results = Path(ctx.results_dir) / "results.json"
    sandbox.write_atomic(results, json.dumps(to_gradescope(report)))
    written = json.loads(results.read_text())
    outcome["results_json_ok"] = (
        abs(written["score"] - report.score) < 1e-9
        and len(written["tests"]) == len(report.tests)
        and all(t["score"] <= t["max_score"] for t in written["tests"])
    )
    return outcome


def main() -> int:
    """Serve requests from the test session: one JSON line in, one outcome line out."""
    for line in sys.stdin:
        request = json.loads(line)
        ctx = Context(**request["context"])
        try:
            outcome = run_attack(request["attack"], ctx)
        except Exception as exc:  # noqa: BLE001 - report, keep serving
            import traceback

            tb = traceback.format_exc()[-1500:]
            outcome = {"attack": request["attack"], "crash": f"{type(exc).__name__}: {exc} {tb}"}
        sys.stdout.write("@@OUTCOME " + json.dumps(outcome) + "\n")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
