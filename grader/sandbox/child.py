"""enter_child: everything done in a freshly forked worker before student code runs.

    zygote --fork--> relay (pid the engine holds; root if the grader is root; subreaper)
                       \\--fork--> worker (PID 1 of its PID namespace when allowed)
                                   namespaces, hidden mounts, rlimits, uid drop,
                                   no capabilities, no_new_privs, seccomp -> returns

enter_child returns only in the worker. The relay waits for it, kills whatever the worker
left behind, and exits with the worker's status (the same exit code, or the same signal),
so the engine's waitpid sees what the worker did. The worker's own pid is 1 inside its
namespace: the engine must use the pid fork gave it, never the worker's os.getpid().
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

from grader.sandbox import kill, limits, mounts, namespaces, network, privileges, syscalls, view
from grader.sandbox.policy import SandboxPolicy, split_paths

_RELAY_FORWARD = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


def sandbox_ids(policy: SandboxPolicy) -> tuple[int, int] | None:
    """The uid/gid the worker drops to: the policy's, else the sandbox user when root.

    Fail-safe: a root grader whose engine forgot to set policy.uid still drops privileges.
    """
    if policy.uid is not None:
        return policy.uid, policy.gid if policy.gid is not None else policy.uid
    if privileges.is_root():
        return privileges.lookup_user()
    return None


def enter_child(policy: SandboxPolicy, workdir: Path) -> None:
    """Run in the freshly forked worker, before any student import (single-threaded)."""
    os.setsid()  # own session and process group; the relay's pgid is its pid
    limits.set_limit(limits.resource.RLIMIT_CORE, 0)
    ns = namespaces.enter(
        net=policy.deny_network,
        mount=policy.private_view or (policy.hide_paths and bool(policy.hidden_paths)),
        pid=policy.pid_namespace,
    )
    try:
        syscalls.prctl(syscalls.PR_SET_CHILD_SUBREAPER, 1)
    except OSError:
        pass  # without it kill_tree still finds every child that has not been orphaned
    # The relay dies with the zygote (or whoever forked it), so a worker never outlives
    # grading; the worker dies with the relay (_harden).
    _optional(syscalls.prctl, syscalls.PR_SET_PDEATHSIG, signal.SIGKILL)
    pid = os.fork()
    if pid:
        _relay(pid)
    _harden(policy, workdir, ns)


def _harden(policy: SandboxPolicy, workdir: Path, ns: namespaces.Namespaces) -> None:
    """The worker side: from here on every step only removes rights."""
    if ns.mount:
        _private_view(policy, ns.pid, workdir)  # a failure shows in the probe's reads
    os.chdir(workdir)
    ids = sandbox_ids(policy)
    limits.apply_limits(policy, privileged_uid=ids is None and privileges.is_root())
    if ids is not None:
        privileges.drop_to(*ids)
    if ns.user or ids is None:
        _optional(syscalls.drop_all_capabilities)  # the user namespace's, or root's own
    _optional(syscalls.prctl, syscalls.PR_SET_PDEATHSIG, signal.SIGKILL)  # after setuid
    _optional(syscalls.prctl, syscalls.PR_SET_DUMPABLE, 0)  # no ptrace, /proc/pid/mem
    _optional(syscalls.prctl, syscalls.PR_SET_NO_NEW_PRIVS, 1)
    if policy.deny_network:
        # Without it and without a network namespace the network stays open: the probe
        # reports that layer as off (macOS, old kernels) rather than refusing to grade.
        _optional(network.install_socket_filter)


# How the last enter_child in this process built the worker's file-system view:
# "allow-list", "deny-list" (the allow-list failed: hidden paths covered only) or "host".
VIEW = "host"


def _private_view(policy: SandboxPolicy, own_proc: bool, workdir: Path) -> None:
    global VIEW
    if policy.private_view:
        try:
            view.build_view(
                readable=split_paths(policy.readable_paths),
                writable=[str(workdir), *split_paths(policy.writable_paths)],
                size_bytes=policy.private_tmp_bytes,
                inodes=policy.private_tmp_inodes,
                own_proc=own_proc,
            )
            VIEW = "allow-list"
            mounts.hide(policy.hidden_path_list())  # hidden trees inside an allowed one
            return
        except OSError:
            if os.path.isdir(view.OLD_ROOT):
                raise  # pivoted but incomplete: the worker must not run on half a view
    mounts.make_private()
    mounts.hide(policy.hidden_path_list())
    VIEW = "deny-list"
    if own_proc:
        _optional(mounts.mount_proc)  # else the host /proc stays; kill_tree does not need it


def _optional(fn: Callable[..., object], *args: object) -> None:
    """A hardening step the OS may lack (ENOSYS off Linux, EINVAL on old kernels)."""
    try:
        fn(*args)
    except OSError:
        pass


def _relay(child: int) -> NoReturn:
    """Wait for the worker, clean up after it, and exit the way it did."""

    def forward(signum: int, _frame: object) -> None:
        kill.kill_descendants(os.getpid())

    for sig in _RELAY_FORWARD:
        signal.signal(sig, forward)
    status = 0
    while True:
        try:
            pid, status = os.waitpid(child, 0)
        except InterruptedError:
            continue
        except ChildProcessError:
            status = 1 << 8  # cannot happen unless someone else reaped it
        break
    try:
        kill.kill_descendants(os.getpid())  # a setsid() child or a stray thread's fork
        _reap_all()
    except BaseException:  # noqa: BLE001 - e.g. MemoryError in a full cgroup: still report
        pass  # the worker's own status below, never an engine failure of the relay
    if os.WIFSIGNALED(status):
        signum = os.WTERMSIG(status)
        with contextlib.suppress(OSError, ValueError):  # SIGKILL (the OOM killer's) has no
            signal.signal(signum, signal.SIG_DFL)  # handler to reset: EINVAL, not exit 70
            signal.pthread_sigmask(signal.SIG_UNBLOCK, [signum])
        os.kill(os.getpid(), signum)
        os._exit(128 + signum)  # a signal that does not kill (SIGCHLD): report it as code
    os._exit(os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 1)


def _reap_all() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
