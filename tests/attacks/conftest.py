"""Fixtures of the attack catalog, and its one-line-per-attack verdict summary.

The summary is printed by `pytest_terminal_summary`, so it shows with or without `-s`:

    attack fork_bomb [root]: contained
    ...
    46 attacks, 46 contained
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from attack_env import AttackEnv, Listener, settings  # noqa: E402
from attack_harness import VICTIM_DIR  # noqa: E402
from attack_users import ensure_tester, give_to_tester  # noqa: E402

# The submissions hold planted conftest.py / torch.py files and the victim holds a hidden
# suite: the project's own pytest run must never collect (or import) any of them.
collect_ignore_glob = ["*/submission", "victim"]

VERDICTS = pytest.StashKey[list[tuple[str, str, str]]]()


def pytest_configure(config: pytest.Config) -> None:
    config.stash[VERDICTS] = []


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    verdicts = config.stash.get(VERDICTS, [])
    if not verdicts:
        return
    terminalreporter.section("attack catalog")
    for name, setting, verdict in verdicts:
        terminalreporter.write_line(f"attack {name} [{setting}]: {verdict}")
    contained = sum(v == "contained" for _, _, v in verdicts)
    terminalreporter.write_line(f"{len(verdicts)} attacks, {contained} contained")


@pytest.fixture
def record_verdict(request: pytest.FixtureRequest) -> Any:
    def record(name: str, setting: str, problems: list[str]) -> None:
        verdict = "contained" if not problems else "NOT contained: " + "; ".join(problems)
        request.config.stash[VERDICTS].append((name, setting, verdict))

    return record


def _queued_for_user(session: pytest.Session) -> list[str]:
    """Attacks this session will check in the "user" setting, in run order."""
    names = []
    for item in session.items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        if params.get("setting") == "user" and "name" in params:
            names.append(params["name"])
    return names


@pytest.fixture(scope="session")
def attack_env(request: pytest.FixtureRequest) -> Iterator[AttackEnv]:
    from grader.sandbox import privileges

    base = Path(tempfile.mkdtemp(prefix="grader-attacks-"))
    os.chmod(base, 0o755)
    flag_dir = base / "flags"
    flag_dir.mkdir()
    os.chmod(flag_dir, 0o1777)  # anyone may plant a flag: a flag means planted code ran
    env = AttackEnv(base=base, flag_dir=flag_dir, listener=Listener())
    for setting in settings():
        workspace = base / setting
        workspace.mkdir()
        (workspace / "results").mkdir()
        env.workspaces[setting] = workspace
        env.results_dirs[setting] = workspace / "results"
    if os.geteuid() == 0:
        privileges.open_traversal(privileges.interpreter_dirs())
        # A root grade of the victim outside this catalog closes its suite (chmod o-rwx);
        # the unprivileged grader must read it again.
        os.chmod(VICTIM_DIR / "suite", 0o755)
        if ensure_tester() is not None:
            give_to_tester(env.workspaces["user"])
            env.submit_unprivileged(_queued_for_user(request.session))
    try:
        yield env
    finally:
        env.close()
        shutil.rmtree(base, ignore_errors=True)
