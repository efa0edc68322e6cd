"""What the layers above the engine use of the sandbox.

The engine is grader.sandbox's only client (CLI -> API -> engine -> worker, the sandbox
under the engine): the commands, the autograder, the bundle check and the suite kit reach
the sandbox through these names, so a change inside grader/sandbox touches the engine's
imports alone.
"""

from grader.sandbox import (
    extract_submission,
    prepare_scratch,
    probe,
    read_worker_file,
    worker_env,
)
from grader.sandbox.kill import kill_descendants
from grader.sandbox.privileges import ensure_user, is_root

__all__ = [
    "ensure_user",
    "extract_submission",
    "is_root",
    "kill_descendants",
    "prepare_scratch",
    "probe",
    "read_worker_file",
    "worker_env",
]
