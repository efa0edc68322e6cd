"""Linux namespaces for the worker: network, mount, IPC and PID.

As root they are unshared directly. Otherwise a user namespace (mapping the grader's own
uid and gid to themselves, so files keep their owners) grants the right to unshare the
others; its capabilities are dropped again before student code runs (child.py). Each
namespace is tried on its own, so one the OS refuses does not cost the others.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from grader.sandbox import syscalls


@dataclass
class Namespaces:
    user: bool = False
    net: bool = False
    mount: bool = False
    ipc: bool = False  # System V shared memory and semaphores of its own
    pid: bool = False  # takes effect for the next fork: the child is PID 1
    errors: dict[str, str] = field(default_factory=dict)  # namespace -> why it failed


def _write(path: str, text: str) -> None:
    with open(path, "w") as fh:
        fh.write(text)


def enter_user_namespace() -> None:
    """unshare(CLONE_NEWUSER) and map our uid/gid onto themselves.

    Must run while the process has a single thread (right after fork).
    """
    uid, gid = os.geteuid(), os.getegid()
    # A non-dumpable process's /proc/self/*_map belong to root: writing them would fail.
    # The worker becomes non-dumpable again before student code runs (child.py).
    syscalls.prctl(syscalls.PR_SET_DUMPABLE, 1)
    syscalls.unshare(syscalls.CLONE_NEWUSER)
    _write("/proc/self/setgroups", "deny")  # required before an unprivileged gid_map
    _write("/proc/self/uid_map", f"{uid} {uid} 1")
    _write("/proc/self/gid_map", f"{gid} {gid} 1")


def enter(*, net: bool, mount: bool, pid: bool) -> Namespaces:
    """Unshare what is asked and allowed; returns what took effect and why the rest did not."""
    ns = Namespaces()
    if not (net or mount or pid):
        return ns
    if os.geteuid() != 0:
        try:
            enter_user_namespace()
            ns.user = True
        except OSError as exc:
            reason = f"user namespaces are not allowed here ({exc.strerror or exc})"
            for name, wanted in (("net", net), ("mount", mount), ("ipc", mount), ("pid", pid)):
                if wanted:
                    ns.errors[name] = reason
            return ns
    for name, wanted, flag in (
        ("net", net, syscalls.CLONE_NEWNET),
        ("mount", mount, syscalls.CLONE_NEWNS),
        ("ipc", mount, syscalls.CLONE_NEWIPC),
        ("pid", pid, syscalls.CLONE_NEWPID),
    ):
        if not wanted:
            continue
        try:
            syscalls.unshare(flag)
            setattr(ns, name, True)
        except OSError as exc:
            ns.errors[name] = f"unshare refused ({exc.strerror or exc})"
    return ns
