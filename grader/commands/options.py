"""Options several commands share, written once: where and with how many threads to run."""

from __future__ import annotations

import argparse

DEVICE_HELP = "cpu, cuda, cuda:1 or mps (default: $GRADER_DEVICE, then the best available)"


def add_device_options(parser: argparse.ArgumentParser, *, threads_help: str) -> None:
    """--device and --threads, as grading reads them (grader.timing)."""
    parser.add_argument("--device", help=DEVICE_HELP)
    parser.add_argument("--threads", type=int, help=threads_help)
