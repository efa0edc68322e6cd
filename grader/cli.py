"""The `grader` command: a thin argparse layer over the API.

Each subcommand lives in `grader/commands/<name>.py` and exposes
`register(subparsers) -> None`, which adds its parser and sets `handler=run`, where
`run(args: argparse.Namespace) -> int` returns the exit code. Heavy imports (torch) happen
inside `run`, so `grader --help` stays fast.

Errors: a `GraderError` prints one line and exits 2; anything unexpected prints one line
pointing at `--debug` and exits 3. The grader never shows a traceback unless asked.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from grader.errors import GraderError
from grader.text import safe_text

COMMANDS = ("grade", "data", "calibrate", "doctor", "autograder", "release", "bundle", "batch")
STUDENT_COMMANDS = ("grade", "bundle", "data", "doctor")  # a student release has only these


def build_parser() -> argparse.ArgumentParser:
    from grader.layout import is_student_release

    student = is_student_release()
    parser = argparse.ArgumentParser(
        prog="grader",
        description=(
            "Grade your homework in the course's sandbox and package it for upload."
            if student
            else "Grade PyTorch homework in a sandbox, build autograders and releases."
        ),
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in STUDENT_COMMANDS if student else COMMANDS:
        importlib.import_module(f"grader.commands.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    try:
        return int(args.handler(args) or 0)
    except GraderError as exc:
        print(f"grader: error: {safe_text(str(exc), keep_newlines=False)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("grader: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - the CLI's last line of defence
        if args.debug:
            raise
        print(
            f"grader: internal error: {type(exc).__name__}: "
            f"{safe_text(str(exc), keep_newlines=False)} (rerun with --debug for details)",
            file=sys.stderr,
        )
        return 3
