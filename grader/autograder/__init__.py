"""The Gradescope autograder: build the zip, and what runs inside it (docs/instructors.md).

- `build_autograder(homework, out, policy=...)` writes the zip (build.py).
- `run_autograder(root)` grades one submission in the container (run.py).
- `AutograderPolicy` holds the late penalty, rate limit and leaderboard (policy.py);
  metadata.py applies them to submission_metadata.json.
- `validate_results(data)` checks a results.json against Gradescope's format (schema.py).
"""

from grader.autograder.build import BuildInfo, build_autograder, read_hidden_seed
from grader.autograder.policy import AutograderPolicy, LatePolicy, RateLimit, load_policy
from grader.autograder.run import run_autograder
from grader.autograder.schema import validate_results

__all__ = [
    "AutograderPolicy",
    "BuildInfo",
    "LatePolicy",
    "RateLimit",
    "build_autograder",
    "load_policy",
    "read_hidden_seed",
    "run_autograder",
    "validate_results",
]
