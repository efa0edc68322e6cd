"""`grader calibrate [--device DEV] [--threads N]`: re-measure this machine's speed for
training budgets and cache it (see docs/timing.md)."""

from __future__ import annotations

import argparse

from grader.commands.options import add_device_options


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "calibrate",
        help="re-measure this machine's speed for training budgets",
        description=(
            "Time the fixed calibration workload (about a second) on DEV with N torch threads, "
            "print the speed relative to the reference machine and cache it. Grading reads the "
            "cache, so run this again after changing hardware or drivers."
        ),
    )
    add_device_options(
        parser, threads_help="torch threads, as grading uses them (default: all cores, at most 4)"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from grader.errors import GraderError
    from grader.timing import calibrate, choose_device, default_threads

    threads = default_threads() if args.threads is None else args.threads
    if threads < 1:
        raise GraderError(f"--threads must be at least 1, got {threads}")
    device = choose_device(args.device)
    calibration = calibrate(device, threads, force=True)
    where = (
        f"cached in {calibration.cache_path}"
        if calibration.cache_path is not None
        else "not cached: " + "; ".join(calibration.notes)
    )
    print(f"{calibration.summary()}; {where}")
    if calibration.measured_busy():
        print(
            f"warning: the machine was busy (load {calibration.load_average:.1f}), so this speed "
            "is low and budgets will be generous; run `grader calibrate` again when it is quiet"
        )
    if calibration.speed > calibration.budget_speed:
        print(f"budgets treat this device as {calibration.budget_speed:.0f}x reference at most")
    return 0
