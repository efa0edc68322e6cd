"""`grader batch HW SUBMISSIONS`: grade a folder of submissions, resumably, then summarise."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from grader.errors import GraderError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "batch",
        help="grade a folder of submissions into a gradebook, feedback and plots",
        description=(
            "Grade every folder or .zip in SUBMISSIONS (one per student, named after the "
            "student) with the hidden suite of HW. Results are committed per submission to "
            "OUT/journal, so an interrupted run resumes where it stopped; then OUT gets "
            "gradebook.csv, feedback/<student>.txt and plots/."
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
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="torch threads per submission (default: the grader's default)",
    )
    parser.add_argument("--device", help="cpu, cuda or mps (default: the best available)")
    parser.add_argument(
        "--regrade", action="store_true", help="grade again submissions already in the journal"
    )
    parser.add_argument(
        "--job-timeout",
        type=float,
        default=1800.0,
        metavar="S",
        help="stop grading one submission after S seconds (default: 1800)",
    )
    parser.add_argument("--no-plots", action="store_true", help="skip the summary plots")
    slurm = parser.add_argument_group("Slurm (through submitit)")
    slurm.add_argument("--slurm", action="store_true", help="run the jobs as a Slurm array")
    slurm.add_argument("--partition", help="Slurm partition")
    slurm.add_argument("--time-min", type=int, default=40, help="minutes per job (default: 40)")
    slurm.add_argument("--gpus", type=int, default=0, help="GPUs per job (default: 0)")
    slurm.add_argument("--cpus", type=int, default=2, help="CPUs per job (default: 2)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from grader import homeworks
    from grader.batch import Journal, find_submissions, plan, run_local, run_slurm, summarise

    if args.jobs < 1:
        raise GraderError(f"--jobs must be at least 1, got {args.jobs}")
    hw = homeworks.get(args.homework)
    if not hw.has_hidden_suite:
        raise GraderError(f"homework {hw.name} has no hidden suite in {hw.suite_dir}")
    out = args.out or Path("runs") / hw.name
    journal = Journal(out / "journal")
    submissions = find_submissions(args.submissions)
    threads = args.threads or (args.cpus if args.slurm else _default_threads(args.jobs))
    jobs = plan(
        hw,
        submissions,
        journal,
        regrade=args.regrade,
        device=args.device,
        threads=threads,
        time_limit_s=args.job_timeout,
    )
    print(
        f"{len(submissions)} submissions, {len(submissions) - len(jobs)} already graded, "
        f"{len(jobs)} to grade"
    )
    if jobs and args.slurm:
        params = {
            "timeout_min": args.time_min,
            "cpus_per_task": args.cpus,
            "gpus_per_node": args.gpus,
            "slurm_partition": args.partition,
        }
        run_slurm(jobs, log_folder=out / "slurm", slurm={k: v for k, v in params.items() if v})
    elif jobs:
        run_local(jobs, workers=args.jobs)
    summary = summarise(journal, out, plots=not args.no_plots)
    print(f"{summary.graded} graded, {summary.errors} not graded, mean score {summary.mean_score}")
    print(f"gradebook: {summary.gradebook}")
    print(f"feedback:  {summary.feedback_dir}/")
    for plot in summary.plots:
        print(f"plot:      {plot}")
    return 0


def _default_threads(jobs: int) -> int:
    return max(1, (os.cpu_count() or 1) // jobs)
