"""`grader release --out dist/student`: the student-facing tree, checked for leaks."""

from __future__ import annotations

import argparse

from grader.release import build_release


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "release",
        help="build the student release (starters, public tests, engine without hidden suites)",
        description=(
            "Build the student release into OUT: handouts, starter packages and public tests, "
            "the engine without hidden suites, the dataset generator, a README and a Makefile. "
            "It is checked for leaks (solutions, hidden tests, hidden data, the seed) before "
            "it is moved into place."
        ),
    )
    parser.add_argument(
        "--out", default="dist/student", help="the release folder (default: dist/student)"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    info = build_release(args.out)
    print(
        f"wrote {info.root}: {', '.join(info.homeworks)} ({info.file_count} files); "
        "leak check passed"
    )
    return 0
