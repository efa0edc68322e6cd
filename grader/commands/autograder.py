"""`grader autograder HW --out dist/HW-autograder.zip [--policy FILE]`: the Gradescope zip."""

from __future__ import annotations

import argparse
from pathlib import Path

from grader import homeworks
from grader.autograder import build_autograder, load_policy


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "autograder",
        help="build the Gradescope autograder zip of a homework",
        description=(
            "Build the zip to upload as HW's Gradescope autograder: setup.sh, run_autograder, "
            "the grader with HW's hidden suite, the dataset generator and the hidden seed "
            "($GRADER_HIDDEN_SEED, else grader/suites/hidden_seed.txt). See docs/instructors.md."
        ),
    )
    parser.add_argument("homework", metavar="HW", help="homework name, e.g. hw1")
    parser.add_argument(
        "--out", metavar="ZIP", help="where to write the zip (default: dist/HW-autograder.zip)"
    )
    parser.add_argument(
        "--policy",
        metavar="FILE",
        help="JSON late-penalty / rate-limit / leaderboard policy (default: none of them)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    hw = homeworks.get(args.homework)
    out = Path(args.out) if args.out else Path("dist") / f"{hw.name}-autograder.zip"
    info = build_autograder(hw, out, policy=load_policy(args.policy))
    print(f"wrote {info.path} ({info.size_bytes / 1e6:.2f} MB, {len(info.members)} files)")
    print("upload it as the assignment's autograder on Gradescope (see docs/instructors.md)")
    return 0
