"""The trial worker of `probe()`: `python -I -m grader.sandbox.trial REQUEST_JSON`.

It enters the sandbox exactly as a worker does, then prints one JSON line saying what it
can still do.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from grader.sandbox import child, network, privileges, syscalls
from grader.sandbox.child import enter_child
from grader.sandbox.policy import SandboxPolicy


def ns_id(kind: str) -> str:
    try:
        return os.readlink(f"/proc/self/ns/{kind}")
    except OSError:
        return "?"


def _trial_worker(request: dict[str, Any]) -> dict[str, Any]:
    """Run in the probe process after enter_child: what can a worker do?"""
    status = {}
    try:
        with open("/proc/self/status") as fh:
            status = dict(line.rstrip("\n").split(":\t", 1) for line in fh if ":\t" in line)
    except OSError:
        pass
    paths = request["check_paths"]
    return {
        "euid": os.geteuid(),
        "pid": os.getpid(),
        "ns": {k: ns_id(k) for k in ("net", "mnt", "pid_for_children", "user")},
        "inet_socket": network.inet_socket_allowed(),
        "loopback": network.can_reach_loopback(request["port"]),
        "seccomp": status.get("Seccomp", "?").strip(),
        "cap_eff": syscalls.effective_capabilities(),
        "readable": {p: privileges.can_read(p) for p in paths},
        "cwd": os.getcwd(),
        "view": child.VIEW,
        "python_readable": privileges.can_read(os.__file__)
        and privileges.can_read(os.path.dirname(json.__file__)),
    }


def main() -> int:
    """Entry point of the probe process (argv[1]: JSON request)."""
    request = json.loads(sys.argv[1])
    policy = SandboxPolicy(**request["policy"])
    enter_child(policy, Path(request["workdir"]))
    sys.stdout.write(json.dumps(_trial_worker(request)) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
