"""Which layers are really active here: a trial worker reports what it can do.

`probe()` starts `python -I -m grader.sandbox.trial` (a fresh process, like the zygote),
which calls `enter_child` exactly as a worker does and then tries what an attacker would:
read the protected paths, open an AF_INET socket, connect to a loopback listener the
parent opened. The report says what worked, never what was merely configured.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

from grader.sandbox import limits, network, privileges
from grader.sandbox.parent import default_policy, protected_paths, worker_env
from grader.sandbox.policy import LayerReport, SandboxPolicy
from grader.sandbox.trial import ns_id

PROBE_TIMEOUT_S = 60.0


@lru_cache(maxsize=1)
def probe() -> LayerReport:
    """The active layers (cached: probed once per grader process)."""
    return run_probe(default_policy())


def run_probe(policy: SandboxPolicy) -> LayerReport:
    report = LayerReport()
    report.facts["grader user"] = f"uid {os.geteuid()}" + (" (root)" if os.geteuid() == 0 else "")
    check = [
        p
        for p in dict.fromkeys([*protected_paths(), *policy.hidden_path_list()])
        if os.path.exists(p)
    ]
    if privileges.is_root():
        report.facts["sandbox user"] = privileges.ensure_user()[1]
    report.facts["checked paths"] = ", ".join(check) or "none exist"
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    workdir = Path(tempfile.mkdtemp(prefix="grader-probe-"))
    try:
        if policy.uid is not None:
            os.chown(workdir, policy.uid, policy.gid if policy.gid is not None else policy.uid)
        request = {
            "policy": dataclasses.asdict(policy),
            "workdir": str(workdir),
            "port": listener.getsockname()[1],
            "check_paths": check,
        }
        env = worker_env(1)  # grader is importable as an installed package, as in the zygote
        try:
            done = subprocess.run(
                [sys.executable, "-I", "-m", "grader.sandbox.trial", json.dumps(request)],
                capture_output=True,
                text=True,
                timeout=PROBE_TIMEOUT_S,
                env=env,
                cwd=workdir,
                check=False,
            )
            seen = json.loads(done.stdout.strip().splitlines()[-1])
        except (subprocess.TimeoutExpired, json.JSONDecodeError, IndexError) as exc:
            report.inactive["probe"] = f"the trial worker failed: {exc}"
            return report
    finally:
        listener.close()
        shutil.rmtree(workdir, ignore_errors=True)
    _interpret(report, policy, seen)
    return report


def _interpret(report: LayerReport, policy: SandboxPolicy, seen: dict[str, Any]) -> None:
    on, off = report.active, report.inactive
    on["whitelist"] = "only the homework package's listed .py files reach the worker"
    on["interpreter"] = (
        "python -I: no PYTHON* variables, user site, cwd or .pth from the submission"
    )
    on["environment"] = f"minimal ({len(worker_env(1))} variables), thread counts pinned"
    on["rlimits"] = limits.describe(policy)
    if seen["euid"] != 0 and policy.max_processes is not None:
        on["process limit"] = f"at most {policy.max_processes} processes (RLIMIT_NPROC)"
    else:
        off["process limit"] = "the worker runs as root, which RLIMIT_NPROC does not bind"

    if not seen.get("python_readable", True):
        off["python install"] = (
            f"the worker cannot read {sys.base_prefix}: lazy imports "
            "fail; make its parent directories world-traversable (o+x)"
        )
    if seen["euid"] != 0 and privileges.is_root():
        on["privileges"] = f"worker runs as uid {seen['euid']}, no capabilities"
    elif privileges.is_root():
        off["privileges"] = "worker still runs as root: " + privileges.ensure_user()[1]
    else:
        off["privileges"] = "the grader is not root, so the worker keeps its uid"
        if seen["cap_eff"] == 0:
            on["capabilities"] = "none left in the worker"

    parent_ns = {k: ns_id(k) for k in ("net", "mnt", "pid_for_children")}
    _ns_layer(
        report,
        "network namespace",
        seen["ns"]["net"] != parent_ns["net"],
        "no interfaces but a downed loopback",
    )
    if seen["seccomp"] == "2":
        on["seccomp"] = "socket() allowed for AF_UNIX only; io_uring refused"
    else:
        off["seccomp"] = (
            f"no seccomp filter on {network.machine_arch() and 'this kernel' or sys.platform}"
        )
    if seen["loopback"] or seen["inet_socket"] and seen["ns"]["net"] == parent_ns["net"]:
        off["network"] = "OPEN: the trial worker reached the parent's loopback listener"
    else:
        on["network"] = "denied (a loopback listener in the parent was unreachable)"
    if shutil.which("bwrap"):
        report.facts["bubblewrap"] = "installed; not needed while namespaces work"
    else:
        report.facts["bubblewrap"] = "not installed"

    _ns_layer(report, "pid namespace", seen["pid"] == 1, "worker is PID 1; kill_tree ends all")
    on["kill tree"] = "relay is a child subreaper; descendants killed before it"
    _ns_layer(
        report,
        "mount namespace",
        seen["ns"]["mnt"] != parent_ns["mnt"],
        "hidden paths covered by empty read-only mounts",
    )
    if seen.get("view") == "allow-list":
        on["file-system view"] = (
            "allow-list: a private tmpfs root holding only the system, Python, the worker's "
            f"scratch and the public data; own /tmp and /dev/shm "
            f"({policy.private_tmp_bytes >> 20} MiB, {policy.private_tmp_inodes} inodes)"
        )
    elif policy.private_view:
        off["file-system view"] = (
            "the worker sees the host's file system (hidden paths covered at best): "
            + ("pivot_root refused" if seen.get("view") == "deny-list" else "no mount namespace")
        )
    readable = sorted(p for p, ok in seen["readable"].items() if ok)
    if readable:
        off["hidden paths"] = "worker CAN read: " + ", ".join(readable)
    elif seen["readable"]:
        on["hidden paths"] = f"worker cannot read any of {len(seen['readable'])} checked paths"
    else:
        off["hidden paths"] = "none of the hidden paths exist yet (nothing to check)"


def _ns_layer(report: LayerReport, name: str, active: bool, how: str) -> None:
    if active:
        report.active[name] = how
    elif privileges.is_root():
        report.inactive[name] = "the kernel refused unshare() even as root"
    else:
        report.inactive[name] = "unprivileged user namespaces are not allowed here"
