"""Isolation layers around the sandboxed worker (see docs/contracts.md, section 6).

The engine calls these hooks; this module decides how much isolation the current OS and
user allow, and `probe()` says which layers are active.
"""

from __future__ import annotations

import os
import resource
import shutil
import signal
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "LayerReport",
    "SandboxPolicy",
    "enter_child",
    "kill_tree",
    "prepare_scratch",
    "probe",
    "worker_env",
]

GiB = 1 << 30
MiB = 1 << 20


@dataclass(frozen=True)
class SandboxPolicy:
    threads: int = 1
    cpu_time_s: int | None = 900
    address_space_bytes: int | None = 24 * GiB  # backstop on CPU; None for CUDA workers
    max_file_bytes: int | None = 512 * MiB
    max_processes: int | None = 512  # only effective under a non-root uid
    max_open_files: int | None = 1024
    output_cap_bytes: int = 256 * 1024
    uid: int | None = None  # dedicated unprivileged user when the grader runs as root
    gid: int | None = None
    deny_network: bool = True


@dataclass
class LayerReport:
    active: dict[str, str] = field(default_factory=dict)  # layer -> how
    inactive: dict[str, str] = field(default_factory=dict)  # layer -> why not

    def summary(self) -> str:
        return "sandbox layers: " + (", ".join(sorted(self.active)) or "none")


def prepare_scratch(submission_dir: Path, whitelist: list[str], dest: Path) -> Path:
    """Copy only the whitelisted regular files of the submission into `dest`.

    Links are never followed: a whitelisted name that is a symlink, or lives under a
    symlinked folder, is skipped.
    """
    submission_dir = Path(submission_dir)
    dest.mkdir(parents=True, exist_ok=True)
    for rel in whitelist:
        src = submission_dir / rel
        if not _is_plain_file_under(src, submission_dir):
            continue
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, target, follow_symlinks=False)
    return dest


def _is_plain_file_under(path: Path, root: Path) -> bool:
    current = root
    for part in path.relative_to(root).parts:
        current = current / part
        if current.is_symlink():
            return False
    return path.is_file()


def worker_env(threads: int) -> dict[str, str]:
    """A minimal environment: no tokens, no user paths, pinned thread counts."""
    n = str(threads)
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "HOME": "/nonexistent",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONHASHSEED": "0",
        "OMP_NUM_THREADS": n,
        "MKL_NUM_THREADS": n,
        "OPENBLAS_NUM_THREADS": n,
    }


def enter_child(policy: SandboxPolicy, workdir: Path) -> None:
    """Run in the freshly forked worker, before any student code is imported."""
    os.setsid()  # own process group: kill_tree reaches everything it starts
    os.chdir(workdir)
    _set_limit(resource.RLIMIT_CPU, policy.cpu_time_s)
    _set_limit(resource.RLIMIT_FSIZE, policy.max_file_bytes)
    _set_limit(resource.RLIMIT_NOFILE, policy.max_open_files)
    _set_limit(resource.RLIMIT_AS, policy.address_space_bytes)
    if policy.uid is not None:
        _set_limit(resource.RLIMIT_NPROC, policy.max_processes)
        os.setgroups([])
        os.setgid(policy.gid if policy.gid is not None else policy.uid)
        os.setuid(policy.uid)


def _set_limit(which: int, value: int | None) -> None:
    if value is None:
        return
    soft, hard = resource.getrlimit(which)
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    resource.setrlimit(which, (value, value if hard == resource.RLIM_INFINITY else hard))


def kill_tree(pid: int, policy: SandboxPolicy) -> None:
    """Kill the worker's process group (the worker called setsid, so pgid == pid)."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def probe() -> LayerReport:
    report = LayerReport()
    report.active["whitelist"] = "only the homework's package files are copied"
    report.active["rlimits"] = "cpu time, file size, open files, address space"
    report.active["process-group kill"] = "setsid + killpg"
    if os.geteuid() != 0:
        report.inactive["privilege drop"] = "the grader is not running as root"
    report.inactive["network"] = "not implemented yet"
    return report
