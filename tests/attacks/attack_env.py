"""The attack catalog's environment: the loopback listener, the per-setting workspaces,
and the harness process run as the unprivileged tester user."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from attack_users import as_tester, ensure_tester

HERE = Path(__file__).resolve().parent


class Listener:
    """A loopback TCP listener that counts the connections it accepts."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            conn.close()

    def close(self) -> None:
        self.sock.close()


@dataclass
class AttackEnv:
    base: Path
    flag_dir: Path
    listener: Listener
    workspaces: dict[str, Path] = field(default_factory=dict)  # setting -> workspace
    results_dirs: dict[str, Path] = field(default_factory=dict)
    _harness: subprocess.Popen[str] | None = None

    def unprivileged(self, request: dict[str, Any]) -> dict[str, Any]:
        """Send one request to the harness running as the tester user; wait for the answer."""
        if self._harness is None:
            self._harness = _start_harness(self.workspaces["user"])
        assert self._harness.stdin and self._harness.stdout
        self._harness.stdin.write(json.dumps(request) + "\n")
        self._harness.stdin.flush()
        for line in self._harness.stdout:
            if line.startswith("@@OUTCOME "):
                return json.loads(line[len("@@OUTCOME ") :])
        log = (self.workspaces["user"] / "harness.log").read_text(errors="replace")
        raise RuntimeError(f"the unprivileged harness died: {log[-2000:]}")

    def close(self) -> None:
        if self._harness is not None:
            self._harness.stdin.close()  # type: ignore[union-attr]
            self._harness.wait(timeout=60)
        self.listener.close()


def _start_harness(workspace: Path) -> subprocess.Popen[str]:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(workspace), "LANG": "C.UTF-8",
           "PYTHONDONTWRITEBYTECODE": "1"}  # fmt: skip
    log = open(workspace / "harness.log", "w")  # noqa: SIM115 - lives as long as the process
    os.chown(workspace / "harness.log", *ensure_tester())  # type: ignore[misc]
    return subprocess.Popen(
        as_tester([sys.executable, str(HERE / "attack_harness.py")]),
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, text=True,
        cwd=workspace, env=env,
    )  # fmt: skip


def settings() -> list[str]:
    """root: the grader runs as root (drops to the sandbox user); user: as a normal user."""
    return ["root", "user"]
