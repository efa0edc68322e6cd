"""`grader bundle HW [--dir assignments/HW] [--out ZIP]`: zip a package for upload.

The package is found in --dir by grader.intake's rules, as the grader will find it."""

from __future__ import annotations

import argparse

from grader import homeworks
from grader.bundle import DEFAULT_MAX_BYTES, bundle
from grader.errors import GraderError
from grader.intake import IntakeError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "bundle",
        aliases=["submit"],
        help="check your homework package and zip it for upload (alias: submit)",
        description=(
            "Zip the package of HW for upload, leaving out caches, data, weights and logs. "
            "Refuses a package over the size cap or one that does not import from the files "
            "the grader uses."
        ),
    )
    parser.add_argument("homework", metavar="HW", help="homework name, e.g. hw1")
    parser.add_argument(
        "--dir", help="the folder holding the package, or the package (default: assignments/HW)"
    )
    parser.add_argument("--out", help="where to write the zip (default: dist/HW-submission.zip)")
    parser.add_argument(
        "--max-mb",
        type=float,
        default=DEFAULT_MAX_BYTES / 1e6,
        help=f"size cap of the package in MB (default: {DEFAULT_MAX_BYTES / 1e6:g})",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    hw = homeworks.get(args.homework)
    try:
        info = bundle(hw, package_dir=args.dir, out=args.out, max_bytes=int(args.max_mb * 1e6))
    except IntakeError as exc:
        where = args.dir or hw.starter_dir
        raise GraderError(
            f"{exc} (looked in {where}; pass --dir with your {hw.package}/ folder)"
        ) from None
    for warning in info.warnings:
        print(f"warning: {warning}")
    print(f"wrote {info.path} ({info.size_bytes / 1e3:.1f} kB, {len(info.files)} files)")
    return 0
