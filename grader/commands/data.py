"""`grader data [NAME] [--verify]`: generate (or re-hash) the embedded datasets.

The hidden test split is made from `$GRADER_HIDDEN_SEED`, else from
`grader/suites/hidden_seed.txt` (instructor repository only); a student release has
neither, so only train and valid are made there.
"""

from __future__ import annotations

import argparse
import sys

from grader import layout
from grader.errors import GraderError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "data",
        help="generate the embedded datasets (skips what is already there)",
        description="Generate the embedded datasets into $COURSEDATA_DIR (default "
        "datasets/data) and the hidden test labels into $COURSEDATA_HIDDEN_DIR "
        "(default datasets/hidden).",
    )
    parser.add_argument("name", nargs="?", help="one dataset (default: all of them)")
    parser.add_argument(
        "--verify", action="store_true", help="re-hash every file instead of generating"
    )
    parser.set_defaults(handler=run)


def hidden_seed() -> str | None:
    """$GRADER_HIDDEN_SEED, else the dev default in grader/suites/hidden_seed.txt, else None
    (checked as strictly as the autograder build checks it: grader.layout)."""
    return layout.hidden_seed(required=False)


def run(args: argparse.Namespace) -> int:
    import coursedata
    from tqdm import tqdm

    names = [args.name] if args.name else list(coursedata.DATASETS)
    if args.name and args.name not in coursedata.DATASETS:
        raise GraderError(
            f"unknown dataset {args.name!r}: choose one of {', '.join(coursedata.DATASETS)}"
        )
    seed = hidden_seed()
    try:
        if args.verify:
            return _verify(names, seed)
        for name in names:
            with tqdm(desc=name, unit="ex", leave=False, disable=None) as bar:
                coursedata.generate(name, hidden_seed=seed, progress=bar.update)
        where = coursedata.default_root()
        split_note = "" if seed else " (no hidden seed: train/valid only)"
        print(f"datasets ready in {where}: {', '.join(names)}{split_note}")
    except coursedata.DatasetError as exc:
        raise GraderError(str(exc)) from None
    return 0


def _verify(names: list[str], seed: str | None) -> int:
    import coursedata

    failed = False
    for name in names:
        problems = coursedata.check(name, hidden_seed=seed)
        for problem in problems:
            print(f"{name}: {problem}", file=sys.stderr)
        print(f"{name}: {'ok' if not problems else 'FAILED'}")
        failed = failed or bool(problems)
    return 1 if failed else 0
