"""The attack catalog's environment: the loopback listener, the per-setting workspaces,
and the harness process run as the unprivileged tester user (queued up front, so both
settings grade at the same time)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from attack_catalog import BY_NAME
from attack_harness import Context
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
    _outcomes: dict[str, dict[str, Any]] = field(default_factory=dict)
    _cond: threading.Condition = field(default_factory=threading.Condition)
    _harness_done: bool = False

    def context(self, name: str, setting: str) -> Context:
        """The run context of one attack; its marker is unique per attack and setting."""
        index = list(BY_NAME).index(name)
        return Context(
            workspace=str(self.workspaces[setting]),
            results_dir=str(self.results_dirs[setting]),
            flag_dir=str(self.flag_dir),
            marker=f"86400.{1 + (setting == 'user')}{index:02d}{os.getpid() % 10000:04d}",
            port=self.listener.port,
        )

    def submit_unprivileged(self, names: list[str]) -> None:
        """Queue these attacks in the harness run as the tester user. It grades them one by
        one while the root setting runs in this process (the machine has two cores)."""
        self._harness = _start_harness(self.workspaces["user"])
        assert self._harness.stdin
        for name in names:
            request = {"attack": name, "context": asdict(self.context(name, "user"))}
            self._harness.stdin.write(json.dumps(request) + "\n")
        self._harness.stdin.close()  # the harness exits after the last answer
        threading.Thread(target=self._collect, daemon=True).start()

    def _collect(self) -> None:
        assert self._harness and self._harness.stdout
        for line in self._harness.stdout:
            if line.startswith("@@OUTCOME "):
                outcome = json.loads(line[len("@@OUTCOME ") :])
                with self._cond:
                    self._outcomes[outcome["attack"]] = outcome
                    self._cond.notify_all()
        with self._cond:
            self._harness_done = True
            self._cond.notify_all()

    def unprivileged_outcome(self, name: str, timeout_s: float = 900) -> dict[str, Any]:
        """The outcome of a queued attack, waiting for the harness to get to it."""
        with self._cond:
            self._cond.wait_for(lambda: name in self._outcomes or self._harness_done, timeout_s)
            if name in self._outcomes:
                return self._outcomes[name]
        log = (self.workspaces["user"] / "harness.log").read_text(errors="replace")
        raise RuntimeError(f"the unprivileged harness gave no outcome for {name}: {log[-2000:]}")

    def close(self) -> None:
        if self._harness is not None:
            try:
                self._harness.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._harness.kill()
                self._harness.wait()
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
