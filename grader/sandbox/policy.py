"""What the sandbox enforces on one worker (SandboxPolicy) and what the probe found
(LayerReport)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

GiB = 1 << 30
MiB = 1 << 20

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def join_paths(paths: Iterable[str | Path]) -> str:
    """Paths as one PATH-like string (the policy crosses to the worker as flat JSON)."""
    return os.pathsep.join(dict.fromkeys(str(p) for p in paths if str(p)))


def split_paths(joined: str) -> list[str]:
    return [p for p in joined.split(os.pathsep) if p]


def default_hidden_paths() -> str:
    """Paths a worker must never see: hidden suites, hidden labels, solutions, results,
    the project's own tests and its git history (which holds all of them).

    Only the ones that exist matter; the engine adds the homework's own suite and results
    directory through `default_policy(hidden_paths=...)`.
    """
    paths = [
        PROJECT_ROOT / "grader" / "suites",
        PROJECT_ROOT / "datasets" / "hidden",
        PROJECT_ROOT / "solutions",
        PROJECT_ROOT / "tests",
        PROJECT_ROOT / ".git",
        Path("/autograder/results"),
    ]
    hidden_env = os.environ.get("COURSEDATA_HIDDEN_DIR")
    if hidden_env:
        paths.append(Path(hidden_env))
    return join_paths(paths)


@dataclass(frozen=True)
class SandboxPolicy:
    threads: int = 1
    cpu_time_s: int | None = 900
    address_space_bytes: int | None = 24 * GiB  # backstop on CPU; None for CUDA workers
    max_file_bytes: int | None = 512 * MiB
    max_processes: int | None = 512  # only effective under a non-root uid
    max_open_files: int | None = 1024
    output_cap_bytes: int = 256 * 1024  # enforced by the engine on the worker's stdout/stderr
    uid: int | None = None  # dedicated unprivileged user when the grader runs as root
    gid: int | None = None
    deny_network: bool = True
    # Extra isolation (namespaces); each is skipped, and reported, where the OS refuses it.
    pid_namespace: bool = True  # the worker is PID 1 of its own namespace
    hide_paths: bool = True  # empty read-only tmpfs over hidden_paths, in a mount namespace
    # PATH-like (os.pathsep-separated), so the policy stays flat, JSON-friendly data.
    hidden_paths: str = field(default_factory=default_hidden_paths)
    # The allow-list view (view.py): a fresh tmpfs as "/" with only these bound into it,
    # besides the system, the Python installation and the worker's own scratch.
    private_view: bool = True
    readable_paths: str = ""  # PATH-like: the public data a session hands its workers
    writable_paths: str = ""  # PATH-like: the session's exchange folder
    private_tmp_bytes: int = 256 * MiB  # the view's tmpfs: /tmp, /dev/shm (per worker)
    private_tmp_inodes: int = 8192

    def hidden_path_list(self) -> list[str]:
        return split_paths(self.hidden_paths)


@dataclass
class LayerReport:
    active: dict[str, str] = field(default_factory=dict)  # layer -> how
    inactive: dict[str, str] = field(default_factory=dict)  # layer -> why not
    facts: dict[str, str] = field(default_factory=dict)  # e.g. "user": "root", "sandbox uid"

    def summary(self) -> str:
        return "sandbox layers: " + (", ".join(sorted(self.active)) or "none")

    def lines(self) -> list[str]:
        """One line per layer, active first: `  [on ] network: ...` (for doctor and -v)."""
        out = [f"  [on ] {name}: {how}" for name, how in self.active.items()]
        out += [f"  [off] {name}: {why}" for name, why in self.inactive.items()]
        return out
