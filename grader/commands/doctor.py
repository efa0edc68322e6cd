"""`grader doctor`: which sandbox layers are active on this machine, and why others are not."""

from __future__ import annotations

import argparse
import json


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "doctor",
        help="show which sandbox layers are active here",
        description=(
            "Start a trial worker exactly as grading does and report each isolation layer: "
            "active (and how) or inactive (and why). As root this also creates the sandbox "
            "user and closes the hidden paths to it, as grading would."
        ),
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument(
        "--strict",
        action="store_true",
        help="exit 1 when the network is open or a hidden path is readable by the worker",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from grader.sandbox import probe

    report = probe()
    if args.json:
        print(
            json.dumps(
                {"active": report.active, "inactive": report.inactive, "facts": report.facts},
                indent=2,
            )
        )
    else:
        print("grader doctor: sandbox layers")
        for name, value in report.facts.items():
            print(f"  {name}: {value}")
        print("\n".join(report.lines()))
        print(report.summary())
    weak = {"network", "hidden paths", "probe"} & set(report.inactive)
    return 1 if args.strict and weak else 0
