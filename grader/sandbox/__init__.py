"""Isolation layers around the sandboxed worker (see docs/contracts.md section 6 and
docs/sandbox.md).

The engine calls these hooks; the modules behind them decide how much isolation the
current OS and user allow, and `probe()` says which layers are really active.
"""

from __future__ import annotations

from grader.sandbox.child import enter_child
from grader.sandbox.files import prepare_scratch, read_worker_file, write_atomic
from grader.sandbox.kill import kill_tree
from grader.sandbox.parent import default_policy, worker_env
from grader.sandbox.policy import LayerReport, SandboxPolicy, join_paths
from grader.sandbox.probe import probe
from grader.sandbox.zipfiles import extract_submission

__all__ = [
    "LayerReport",
    "SandboxPolicy",
    "default_policy",
    "enter_child",
    "extract_submission",
    "join_paths",
    "kill_tree",
    "prepare_scratch",
    "probe",
    "read_worker_file",
    "worker_env",
    "write_atomic",
]
