"""Run a batch of the toy homework the way `grader batch` does, for tests that signal it.

python tests/batch_toy/drive.py SUBMISSIONS OUT [--jobs N] [--regrade NAME ...]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from grader.batch.run import run_batch
from grader.errors import GraderError
from grader.homeworks import Homework

TOY = Path(__file__).resolve().parent
HW = Homework(
    name="batchhw", package="batchhw", starter_dir=TOY / "starter", suite_dir=TOY / "suite"
)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("submissions", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--regrade", nargs="*")
    parser.add_argument("--deadline", type=float)
    args = parser.parse_args()
    try:
        result = run_batch(
            HW,
            args.submissions,
            out=args.out,
            jobs=args.jobs,
            threads=1,
            device="cpu",
            regrade=args.regrade or False,
            deadline_s=args.deadline,
            plots=False,
            progress=False,
            echo=lambda line: print(line, flush=True),
        )
    except GraderError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"counts {result.summary.counts}", flush=True)
    return 130 if result.outcome.stopped else 0


if __name__ == "__main__":
    raise SystemExit(main())
