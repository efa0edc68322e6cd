"""`grader grade [HW [SUBMISSION]]`: grade a submission, or every homework in assignments/."""

from __future__ import annotations

import argparse
from pathlib import Path

from grader import homeworks
from grader.commands.options import add_device_options
from grader.errors import GraderError
from grader.results import GradeReport


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "grade",
        help="grade a submission (the hidden suite; the public one in a student release)",
        description=(
            "Grade SUBMISSION (a folder holding the package, the package folder itself, or a "
            ".zip) with the hidden suite of HW, or with its public graded suite (validation "
            "data, an estimate) with --public or where there is no hidden suite, as in a "
            "student release. With no SUBMISSION, grade assignments/HW; with no HW, grade "
            "every homework in assignments/. Each test's line is printed as it finishes."
        ),
    )
    parser.add_argument("homework", nargs="?", metavar="HW", help="homework name, e.g. hw1")
    parser.add_argument("submission", nargs="?", metavar="SUBMISSION", help="folder or .zip")
    parser.add_argument("--json", metavar="FILE", help="also write the full report as JSON")
    parser.add_argument("--gradescope", metavar="FILE", help="also write a Gradescope results.json")
    parser.add_argument(
        "--public",
        action="store_true",
        help="run the public graded suite (validation data) even where the hidden one exists",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="show details of each test")
    parser.add_argument(
        "--exit-zero",
        action="store_true",
        help="exit 0 even when points are lost (default: exit 1 when any point is lost)",
    )
    add_device_options(
        parser, threads_help="torch threads for the student's code (default: all cores, at most 4)"
    )
    parser.add_argument(
        "-k",
        dest="keyword",
        metavar="EXPR",
        help="only run tests matching this pytest -k expression",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from grader.formatters import write_json_atomic
    from grader.formatters.gradescope import to_gradescope

    if args.homework is None:
        if args.json or args.gradescope:
            raise GraderError(
                "--json and --gradescope need a homework: grader grade HW [SUBMISSION]"
            )
        return _grade_all(args)

    hw = homeworks.get(args.homework)
    submission = Path(args.submission) if args.submission else hw.starter_dir
    report = _grade_live(hw, submission, args)
    if args.json:
        write_json_atomic(args.json, report.to_dict())
    if args.gradescope:
        write_json_atomic(args.gradescope, to_gradescope(report))
    return _exit_code([report], args.exit_zero)


def _grade_live(hw: homeworks.Homework, submission: Path, args: argparse.Namespace) -> GradeReport:
    """Grade, printing the header at once and each test's line as it finishes."""
    from grader.api import grade
    from grader.formatters.terminal import LiveReport, make_console
    from grader.timing import choose_device

    public = args.public or not hw.has_hidden_suite
    device = choose_device(args.device)
    live = LiveReport(make_console(), verbose=args.verbose)
    live.header(hw.name, "public" if public else "hidden", str(submission), device)
    report = grade(
        hw,
        submission,
        device=device,
        keyword=args.keyword,
        verbose=args.verbose,
        threads=args.threads,
        listener=live,
        public=public,
    )
    live.footer(report)
    return report


def _grade_all(args: argparse.Namespace) -> int:
    from grader.formatters.terminal import summary_line

    graded = (homeworks.get(n) for n in homeworks.available())
    names = [hw.name for hw in graded if hw.has_hidden_suite or hw.has_suite(public=True)]
    if not names:
        raise GraderError("no homework with a graded suite found in assignments/")
    summaries, reports = [], []
    for name in names:
        hw = homeworks.get(name)
        report = _grade_live(hw, hw.starter_dir, args)
        print()
        summaries.append(summary_line(report))
        reports.append(report)
    print("\n".join(summaries))
    return _exit_code(reports, args.exit_zero)


def _exit_code(reports: list[GradeReport], exit_zero: bool) -> int:
    """1 when any point is lost, so scripts and CI can tell; 0 with --exit-zero."""
    lost = any(r.score < r.max_score for r in reports)
    return 1 if lost and not exit_zero else 0
