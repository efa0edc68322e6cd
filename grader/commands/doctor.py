"""`grader doctor`: which sandbox layers are active on this machine, and why others are not."""

from __future__ import annotations

import argparse
import hashlib
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
    from grader.engine.sandboxing import probe

    report = probe()
    seed_problem = weak_seed_reason()
    if args.json:
        print(
            json.dumps(
                {
                    "active": report.active,
                    "inactive": report.inactive,
                    "facts": report.facts,
                    "warnings": [seed_problem] if seed_problem else [],
                },
                indent=2,
            )
        )
    else:
        print("grader doctor: sandbox layers")
        for name, value in report.facts.items():
            print(f"  {name}: {value}")
        print("\n".join(report.lines()))
        print(report.summary())
    if seed_problem and not args.json:
        print(f"  [warn] hidden seed: {seed_problem}")
    weak = {"network", "hidden paths", "probe"} & set(report.inactive)
    return 1 if args.strict and (weak or seed_problem) else 0


# sha256 of the seed shipped in the repository (the seed itself must not appear in any
# file the student release carries: the release's leak check looks for it)
DEV_SEED_SHA256 = frozenset({"afbca1ae2a6aec5392a7c1b769b6116181d1d999b794931fbf6d015b4ac1592b"})
MIN_SEED_CHARS = 16


def weak_seed_reason() -> str | None:
    """Why the hidden seed in use could be guessed, or None. Anyone who knows it can rebuild
    every hidden label; a short or shipped one falls to a word list in seconds."""
    from grader.commands.data import hidden_seed

    try:
        seed = hidden_seed()
    except OSError:
        return None  # a user who cannot read the seed is not the one who must change it
    if seed is None:
        return None
    fix = (
        "set $GRADER_HIDDEN_SEED (or grader/suites/hidden_seed.txt) to e.g. `openssl rand -hex 16`"
    )
    if hashlib.sha256(seed.encode()).hexdigest() in DEV_SEED_SHA256:
        return f"the repository's default development seed is in use: {fix}"
    if len(seed) < MIN_SEED_CHARS or len(set(seed)) < 8:
        return f"the seed is short or repetitive ({len(seed)} characters): {fix}"
    return None
