"""Resource limits (setrlimit) for the worker.

Soft and hard limits are set together, so student code cannot raise them again. A limit
never exceeds an existing hard limit (an unprivileged grader cannot raise one).
"""

from __future__ import annotations

import resource

from grader.sandbox.policy import SandboxPolicy


def set_limit(which: int, value: int | None) -> None:
    if value is None:
        return
    _soft, hard = resource.getrlimit(which)
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    resource.setrlimit(which, (value, value))


def apply_limits(policy: SandboxPolicy, *, privileged_uid: bool) -> None:
    """CPU time, file size, open files, address space (CPU only), no core dumps.

    RLIMIT_NPROC counts every process of the real uid and root ignores it, so it is set
    only when the worker runs as a uid other than root (`privileged_uid=False`).
    """
    set_limit(resource.RLIMIT_CORE, 0)
    set_limit(resource.RLIMIT_CPU, policy.cpu_time_s)
    set_limit(resource.RLIMIT_FSIZE, policy.max_file_bytes)
    set_limit(resource.RLIMIT_NOFILE, policy.max_open_files)
    set_limit(resource.RLIMIT_AS, policy.address_space_bytes)
    if not privileged_uid:
        set_limit(resource.RLIMIT_NPROC, policy.max_processes)


def describe(policy: SandboxPolicy) -> str:
    parts = []
    if policy.cpu_time_s is not None:
        parts.append(f"cpu {policy.cpu_time_s} s")
    if policy.max_file_bytes is not None:
        parts.append(f"file size {policy.max_file_bytes >> 20} MiB")
    if policy.max_open_files is not None:
        parts.append(f"open files {policy.max_open_files}")
    if policy.address_space_bytes is not None:
        parts.append(f"address space {policy.address_space_bytes >> 20} MiB")
    return ", ".join(parts) or "none"
