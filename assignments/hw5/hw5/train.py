"""Task 5: the training entry point, also runnable as `python -m hw5.train`.

    python -m hw5.train --dry-run              # a few batches: checks that it runs
    python -m hw5.train --log-dir runs/gru     # full training, then a sample of its text

The run does a fixed amount of work (EPOCHS epochs), chosen to fit the grader's time
budget with margin on a 2-core CPU; it does not stop on the clock, so the result does not
depend on how busy the machine is.
"""

from __future__ import annotations

import argparse
import time  # noqa: F401 (for your train)
from pathlib import Path  # noqa: F401 (for your train)

import torch

from .data import load_tokens, make_loader  # noqa: F401 (make_loader: for your train)
from .loop import make_optimizer, train_one_epoch  # noqa: F401 (for your train)
from .loss import sequence_nll
from .models import CharRNN  # noqa: F401 (for your train)
from .sample import make_generator, sample

# Starting points, not tuned: choose them yourself (Task 5), watching valid_nll in
# train_log.txt, so that training takes about half the grader's budget.
CELL = "rnn"
EMBED_DIM = 16
HIDDEN_DIM = 64
DROPOUT = 0.0
EPOCHS = 1
BATCH_SIZE = 64
LR = 1e-3
CLIP_NORM = 1.0
VALID_ROWS = 500  # valid NLL after each epoch is measured on the first 500 rows
DRY_RUN_BATCHES = 3  # --dry-run: a few steps on a few batches, for CI
# A small RNN does one short step after another: a second CPU thread saves little, and on
# a busy machine two threads spend most of their time waiting for each other.
THREADS = 1


def train(
    *,
    data_dir: str,
    device: str = "cpu",
    time_budget_s: float = 60.0,
    seed: int = 0,
    log_dir: str | None = None,
    epochs: int = EPOCHS,
    dry_run: bool = False,
) -> torch.nn.Module:
    """Train a CharRNN on the course text and return it in eval mode.

    Args:
        data_dir: the public dataset root (holds sequences/).
        device: "cpu", "cuda" or "mps".
        time_budget_s: the grader's budget; EPOCHS is sized to fit it, the clock is not
            watched.
        seed: seeds the initial weights, dropout and the shuffling order.
        log_dir: if given, one line per epoch is written to log_dir/train_log.txt.
        epochs: passes over the training rows.
        dry_run: one epoch on DRY_RUN_BATCHES batches only.
    """
    # TODO (Task 5): torch.set_num_threads(THREADS) and seed torch; load both splits
    #   (load_tokens; valid: its first VALID_ROWS rows) and make a shuffled loader
    #   (make_loader); build the CharRNN and the optimizer (make_optimizer; a learning-rate
    #   schedule is optional); for each epoch run train_one_epoch with CLIP_NORM, measure
    #   sequence_nll on the valid rows, and when log_dir is set write one line per epoch
    #   to log_dir/train_log.txt. Return the model in eval mode. With dry_run keep only
    #   DRY_RUN_BATCHES batches of rows and one epoch.
    raise NotImplementedError("Task 5: train")


def main(argv: list[str] | None = None) -> None:
    """Command line: parse the options (each --help line states its default), train, print
    the validation NLL and a sample. Options: --data-dir, --device, --seed, --epochs,
    --log-dir, --temperature, --dry-run (one epoch on DRY_RUN_BATCHES batches, for CI)."""
    from coursedata import default_root  # given; part of the course environment

    parser = argparse.ArgumentParser(
        prog="python -m hw5.train",
        description="Train the Homework 5 CharRNN on the course text.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--data-dir", default=str(default_root()), help="public dataset root")
    parser.add_argument("--device", default="cpu", help="cpu, cuda or mps")
    parser.add_argument("--seed", type=int, default=0, help="random seed")
    parser.add_argument("--epochs", type=int, default=EPOCHS, help="passes over the data")
    parser.add_argument("--log-dir", default=None, help="folder for train_log.txt")
    parser.add_argument(
        "--temperature",
        type=float,
        default=0.8,
        help="temperature of the sample printed at the end",
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help=f"one epoch on {DRY_RUN_BATCHES} batches, to check the code runs",
    )
    args = parser.parse_args(argv)
    model = train(
        data_dir=args.data_dir,
        device=args.device,
        seed=args.seed,
        log_dir=args.log_dir,
        epochs=args.epochs,
        dry_run=args.dry_run,
    )
    valid_tokens = load_tokens(args.data_dir, "valid")
    if args.dry_run:
        valid_tokens = valid_tokens[:BATCH_SIZE]
    print(f"valid NLL: {sequence_nll(model, valid_tokens, device=args.device):.4f} nats/char")
    for mode in "0123":
        text = sample(
            model, mode, 63, temperature=args.temperature, generator=make_generator(args.seed)
        )
        print(f"sample: {mode}{text}")


if __name__ == "__main__":
    main()
