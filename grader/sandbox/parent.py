"""The parent's side of sandbox set-up: the minimal environment, the policy for a run, and
the paths to protect.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from grader.sandbox import privileges
from grader.sandbox.policy import (
    PROJECT_ROOT,
    SandboxPolicy,
    default_hidden_paths,
    join_paths,
    split_paths,
)


def worker_env(threads: int) -> dict[str, str]:
    """A minimal environment: no tokens, no user paths, pinned thread counts.

    Nothing is inherited from the parent: not PYTHONPATH, not CUDA_VISIBLE_DEVICES-style
    settings (the engine passes the device explicitly), not HOME or any credentials.
    """
    n = str(max(1, int(threads)))
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "HOME": "/nonexistent",
        "TMPDIR": "/tmp",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONHASHSEED": "0",
        "PYTHONNOUSERSITE": "1",
        "OMP_NUM_THREADS": n,
        "MKL_NUM_THREADS": n,
        "OPENBLAS_NUM_THREADS": n,
        "NUMEXPR_NUM_THREADS": n,
        "VECLIB_MAXIMUM_THREADS": n,
        "TORCH_NUM_THREADS": n,
        # Idle OpenMP threads sleep instead of spinning: on a busy machine a spinning thread
        # burns CPU time waiting for a descheduled sibling (7x the CPU time at 2 threads
        # beside 3 busy processes), and budgets are charged in CPU time.
        "OMP_WAIT_POLICY": "PASSIVE",
        "CUBLAS_WORKSPACE_CONFIG": ":4096:8",  # deterministic cuBLAS on GPUs
    }


def protected_paths(extra: Iterable[str | Path] = ()) -> list[str]:
    """Paths closed to the sandbox user by permissions (root only): hidden suites, hidden
    labels, solutions, results. The project's tests/ and .git are hidden by mounts only,
    so a non-root developer can still run the tests."""
    paths = [
        PROJECT_ROOT / "grader" / "suites",
        PROJECT_ROOT / "datasets" / "hidden",
        PROJECT_ROOT / "solutions",
        Path("/autograder/results"),
    ]
    hidden_env = os.environ.get("COURSEDATA_HIDDEN_DIR")
    if hidden_env:
        paths.append(Path(hidden_env))
    return [str(p) for p in [*paths, *map(Path, extra)]]


def default_policy(
    *,
    device: str = "cpu",
    threads: int = 1,
    hidden_paths: Iterable[str | Path] = (),
    protect: bool = True,
) -> SandboxPolicy:
    """The policy for one grading run (the engine calls this once per session).

    As root: the worker's uid is the sandbox user (created if missing) and, with
    `protect`, the hidden paths lose their "other" permissions. `hidden_paths` adds the
    homework's suite and results directories to the default ones.
    """
    uid = gid = None
    if not privileges.is_root():
        # The worker keeps our uid: make this process's memory unreachable through
        # /proc/<pid>/mem and ptrace (the worker's seccomp filter also refuses ptrace).
        privileges.guard_process_memory()
    if privileges.is_root():
        ids, _why = privileges.ensure_user()
        if ids is not None:
            uid, gid = ids
            privileges.open_traversal(privileges.interpreter_dirs())
        if protect:
            privileges.protect(protected_paths(hidden_paths))
    extra = [str(Path(p).resolve()) for p in hidden_paths]
    return SandboxPolicy(
        threads=max(1, int(threads)),
        address_space_bytes=None
        if device.startswith("cuda")
        else SandboxPolicy.address_space_bytes,
        uid=uid,
        gid=gid,
        hidden_paths=join_paths([*split_paths(default_hidden_paths()), *extra]),
    )
