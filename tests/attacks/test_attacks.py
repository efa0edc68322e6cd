"""Every attack in the catalog is contained, with the grader run as root and as a user.

Contained means: exactly the expected scores (never more than honest code), a valid
results.json written by the parent, nothing changed outside the scratch directory (the
victim's suite and hidden labels, the repo's hidden trees, the fake results location),
no planted file executed, no connection reached the listener, no process left alive.

As root, the "user" setting is graded by a harness process run as the tester user, queued
at session start, so it runs beside the "root" setting. Checks of shared state (victim
tree, flags, listener) are made after every attack, so a breach by one setting could be
reported by the other's test; the marker of leftover processes is per attack and setting.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from attack_catalog import ATTACKS, BY_NAME  # noqa: E402
from attack_env import AttackEnv, settings  # noqa: E402
from attack_harness import VICTIM_DIR, Context, run_attack, tree_digest  # noqa: E402
from attack_users import ensure_tester  # noqa: E402

from grader.homeworks import PROJECT_ROOT  # noqa: E402

pytestmark = pytest.mark.slow
SHARED_TREES = [PROJECT_ROOT / "grader" / "suites", PROJECT_ROOT / "datasets" / "hidden"]
LEFTOVER_GRACE_S = 3.0


def _leftovers(marker: str) -> list[str]:
    """Live processes whose command line holds the marker, or named atk-* by an attack."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                stat = fh.read()
            with open(f"/proc/{entry}/cmdline", "rb") as fh:
                cmdline = fh.read()
        except OSError:
            continue
        comm = stat[stat.find(b"(") + 1 : stat.rfind(b")")]
        state = stat[stat.rfind(b")") + 2 :].split()[0]
        if state != b"Z" and (marker.encode() in cmdline or comm.startswith(b"atk-")):
            found.append(f"{entry} {comm.decode(errors='replace')}")
    return found


def _worker_owned(trees: list[Path], uids: set[int]) -> list[str]:
    """Entries under the shared trees owned by a worker's uid (teammates write as root)."""
    bad = []
    for tree in trees:
        if tree.exists():
            bad += [str(p) for p in tree.rglob("*") if p.lstat().st_uid in uids]
    return bad


def _grade(env: AttackEnv, name: str, setting: str, ctx: Context) -> dict[str, Any]:
    if setting == "root" or os.geteuid() != 0:
        return run_attack(name, ctx)
    return env.unprivileged_outcome(name)  # queued at session start, graded as the tester


def _check_scores(attack_name: str, outcome: dict[str, Any]) -> list[str]:
    attack = BY_NAME[attack_name]
    if "crash" in outcome:
        return [f"the harness crashed: {outcome['crash']}"]
    if attack.error is not None:
        error = outcome.get("error", "")
        return (
            [] if attack.error in error else [f"expected a refusal ({attack.error}), got {outcome}"]
        )
    if "error" in outcome:
        return [f"grading failed: {outcome['error']}"]
    problems = []
    if outcome["scores"] != attack.expect:
        problems.append(
            f"scores {outcome['scores']} != expected {attack.expect} ({outcome['outputs']})"
        )
    if any(s > outcome["max_scores"][n] for n, s in outcome["scores"].items()):
        problems.append("a score above its maximum")
    if not outcome["results_json_ok"]:
        problems.append("results.json invalid or not the parent's")
    if not outcome["results_dir_untouched"]:
        problems.append("the results directory changed during grading")
    if outcome["output_chars"] > 200_000:
        problems.append(f"{outcome['output_chars']} characters of test output kept")
    return problems


@pytest.mark.parametrize("setting", settings())
@pytest.mark.parametrize("name", [a.name for a in ATTACKS])
def test_attack_is_contained(
    name: str, setting: str, attack_env: AttackEnv, record_verdict: Any
) -> None:
    if setting == "root" and os.geteuid() != 0:
        pytest.skip("the grader is not running as root here")
    if setting == "user" and os.geteuid() == 0 and ensure_tester() is None:
        pytest.fail("running as root but cannot create the unprivileged user grader-tester")
    ctx = attack_env.context(name, setting)
    marker = ctx.marker
    victim_before = tree_digest(VICTIM_DIR)
    accepted_before = attack_env.listener.accepted

    outcome = _grade(attack_env, name, setting, ctx)

    problems = _check_scores(name, outcome)
    deadline = time.monotonic() + LEFTOVER_GRACE_S
    while (left := _leftovers(marker)) and time.monotonic() < deadline:
        time.sleep(0.1)
    if left:
        problems.append(f"processes left alive: {left[:3]}")
        for entry in left:  # do not let a breach outlive the test
            with contextlib.suppress(OSError):
                os.kill(int(entry.split()[0]), signal.SIGKILL)
    if tree_digest(VICTIM_DIR) != victim_before:
        problems.append("the victim's suite or hidden labels changed")
    from grader.sandbox import privileges

    sandbox_ids = privileges.lookup_user()
    worker_uids = {sandbox_ids[0]} if sandbox_ids else set()
    if setting == "user":
        worker_uids.add(os.stat(ctx.workspace).st_uid)
    if owned := _worker_owned(SHARED_TREES, worker_uids - {0}):
        problems.append(f"files written into hidden trees: {owned[:3]}")
    if flags := sorted(os.listdir(attack_env.flag_dir)):
        problems.append(f"planted code ran: {flags[:3]}")
    if attack_env.listener.accepted != accepted_before:
        problems.append("a connection reached the loopback listener")
    escapes = [p for p in (Path(ctx.workspace), Path(ctx.workspace).parent, Path("/tmp"))
               if any(p.glob(f"escape-{marker}*"))]  # fmt: skip
    if escapes:
        problems.append(f"a zip member escaped to {escapes}")
    record_verdict(name, setting, problems)
    assert not problems, f"attack {name} [{setting}] not contained: " + "; ".join(problems)
