"""Running the grader as an unprivileged user from a root test session.

`make test` runs as root on the CI machine; the sandbox must also hold when the grader
itself is not root (a TA's laptop), so these helpers create a throwaway system user and
run commands as that user.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
from pathlib import Path

TESTER_USER = "grader-tester"


def ensure_tester() -> tuple[int, int] | None:
    """(uid, gid) of the unprivileged tester user, created if root; None if impossible."""
    try:
        entry = pwd.getpwnam(TESTER_USER)
        return entry.pw_uid, entry.pw_gid
    except KeyError:
        pass
    if os.geteuid() != 0 or shutil.which("useradd") is None:
        return None
    subprocess.run(
        ["useradd", "--system", "--no-create-home", "--user-group",
         "--shell", "/usr/sbin/nologin", TESTER_USER],
        capture_output=True, check=False,
    )  # fmt: skip
    try:
        entry = pwd.getpwnam(TESTER_USER)
    except KeyError:
        return None
    return entry.pw_uid, entry.pw_gid


def as_tester(cmd: list[str]) -> list[str]:
    """`cmd` prefixed to run as the tester user (runuser, else setpriv)."""
    runuser = shutil.which("runuser")
    if runuser:
        return [runuser, "-u", TESTER_USER, "--", *cmd]
    entry = pwd.getpwnam(TESTER_USER)
    return ["setpriv", f"--reuid={entry.pw_uid}", f"--regid={entry.pw_gid}",
            "--clear-groups", *cmd]  # fmt: skip


def give_to_tester(path: Path) -> None:
    """chown a tree to the tester user so it can work there."""
    ids = ensure_tester()
    if ids is None:
        return
    for root, dirs, files in os.walk(path):
        for name in [root, *(os.path.join(root, n) for n in dirs + files)]:
            os.chown(name, *ids, follow_symlinks=False)
