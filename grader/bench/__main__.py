"""`python -m grader.bench [--only AREA ...]`: print the speed figures and save them."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from grader.bench import areas, format_table, run_areas, write_results
from grader.homeworks import PROJECT_ROOT

RESULTS = PROJECT_ROOT / ".grader" / "bench-results.json"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grader.bench", description=__doc__)
    parser.add_argument(
        "--only",
        action="append",
        metavar="AREA",
        help=f"run only this area (repeatable; default: all of {', '.join(areas())})",
    )
    parser.add_argument(
        "--out", type=Path, default=RESULTS, help=f"JSON results (default: {RESULTS})"
    )
    args = parser.parse_args(argv)
    unknown = sorted(set(args.only or []) - set(areas()))
    if unknown:
        parser.error(f"unknown area {', '.join(unknown)}; known: {', '.join(areas())}")
    results = run_areas(args.only)
    print(format_table(results))
    write_results(results, args.out)
    print(f"\nsaved to {args.out}")
    return 1 if any(isinstance(r, str) for r in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
