"""`grader batch HW SUBMISSIONS`: grade a folder of submissions, resumably, then summarise."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from grader.commands.options import add_device_options
from grader.errors import GraderError

EXIT_STOPPED = 130


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "batch",
        help="grade a folder of submissions into a gradebook, feedback and a report",
        description=(
            "Grade every folder, .zip or .tar.gz in SUBMISSIONS (one per student, named after "
            "the student) with the hidden suite of HW. Results are committed per submission "
            "to OUT/journal, so a stopped run resumes where it stopped and retries what failed "
            "on the grader's side; then OUT gets gradebook.csv, import-canvas.csv, "
            "import-gradescope.csv, feedback/, plots/ and report.html."
        ),
    )
    parser.add_argument("homework", metavar="HW")
    parser.add_argument("submissions", metavar="SUBMISSIONS", type=Path)
    parser.add_argument("--out", type=Path, help="output folder (default: runs/HW)")
    parser.add_argument(
        "--jobs",
        type=int,
        default=1,
        help="submissions graded at once on this machine (default: 1); "
        "keep jobs x threads <= cores",
    )
    add_device_options(
        parser,
        threads_help="torch threads per submission (default: cores / jobs, or --cpus on Slurm)",
    )
    parser.add_argument(
        "--regrade",
        nargs="*",
        metavar="STUDENT",
        default=None,
        help="grade again: the named students, or everyone when no name is given",
    )
    parser.add_argument(
        "--max-attempts",
        type=int,
        default=3,
        metavar="N",
        help="tries per submission for grader-side failures (killed, out of memory, "
        "cancelled, missing data) across reruns (default: 3)",
    )
    parser.add_argument(
        "--job-timeout",
        type=float,
        default=1800.0,
        metavar="S",
        help="stop grading one submission after S seconds (default: 1800)",
    )
    parser.add_argument(
        "--deadline",
        type=float,
        default=None,
        metavar="S",
        help="stop the whole run after S seconds, keeping what finished (default: none)",
    )
    parser.add_argument("--no-plots", action="store_true", help="skip the summary plots")
    slurm = parser.add_argument_group("Slurm (through submitit; needs a shared filesystem)")
    slurm.add_argument("--slurm", action="store_true", help="run the jobs as a Slurm array")
    slurm.add_argument("--partition", help="Slurm partition")
    slurm.add_argument("--time-min", type=int, default=40, help="minutes per task (default: 40)")
    slurm.add_argument("--gpus", type=int, default=0, help="GPUs per task (default: 0)")
    slurm.add_argument("--cpus", type=int, default=2, help="CPUs per task (default: 2)")
    slurm.add_argument("--mem-gb", type=float, default=8, help="memory per task (default: 8)")
    slurm.add_argument(
        "--parallel",
        type=int,
        default=64,
        metavar="N",
        help="array tasks running at once (Slurm's %%N; default: 64)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from grader import homeworks
    from grader.batch.run import run_batch
    from grader.batch.slurm import SlurmOptions

    for name, value in (
        ("--jobs", args.jobs),
        ("--max-attempts", args.max_attempts),
        ("--parallel", args.parallel),
        ("--cpus", args.cpus),
    ):
        if value < 1:
            raise GraderError(f"{name} must be at least 1, got {value}")
    hw = homeworks.get(args.homework)
    slurm = None
    if args.slurm:
        slurm = SlurmOptions(
            partition=args.partition,
            time_min=args.time_min,
            cpus=args.cpus,
            gpus=args.gpus,
            mem_gb=args.mem_gb,
            parallel=args.parallel,
        )
    result = run_batch(
        hw,
        args.submissions,
        out=args.out or Path("runs") / hw.name,
        jobs=args.jobs,
        threads=args.threads or (args.cpus if args.slurm else _default_threads(args.jobs)),
        device=args.device,
        regrade=True if args.regrade == [] else (args.regrade or False),
        max_attempts=args.max_attempts,
        job_timeout_s=args.job_timeout,
        deadline_s=args.deadline,
        slurm=slurm,
        plots=not args.no_plots,
    )
    summary, outcome = result.summary, result.outcome
    counts = ", ".join(f"{n} {status}" for status, n in summary.counts.items() if n)
    mean = "" if summary.mean_score is None else f", mean score {summary.mean_score}"
    print(f"{counts}{mean}")
    print(f"gradebook: {summary.gradebook}")
    print(f"imports:   {', '.join(str(p) for p in summary.exports)}")
    print(f"report:    {summary.report}")
    print(f"feedback:  {summary.feedback_dir}/")
    for line in summary.corrupt:
        print(f"unreadable journal entry (the next run regrades it): {line}")
    if outcome.stopped:
        print(
            f"stopped: {outcome.stopped}; {len(outcome.unfinished)} not graded yet. "
            "Run the same command again to continue."
        )
        return EXIT_STOPPED
    return 0


def _default_threads(jobs: int) -> int:
    return max(1, (os.cpu_count() or 1) // jobs)
