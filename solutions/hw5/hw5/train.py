"""Task 5: the training entry point, also runnable as `python -m hw5.train`.

    python -m hw5.train --dry-run              # a few batches: checks that it runs
    python -m hw5.train --log-dir runs/gru     # full training, then a sample of its text

The run does a fixed amount of work (EPOCHS epochs), chosen to fit the grader's time
budget with margin on a 2-core CPU; it does not stop on the clock, so the result does not
depend on how busy the machine is.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch

from .data import load_tokens, make_loader
from .loop import make_optimizer, train_one_epoch
from .loss import sequence_nll
from .models import CharRNN
from .sample import make_generator, sample

CELL = "gru"
EMBED_DIM = 32
HIDDEN_DIM = 128
DROPOUT = 0.0
EPOCHS = 3
BATCH_SIZE = 64
LR = 1e-2  # Adam, decayed to 0 along a half cosine
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
    torch.set_num_threads(THREADS)
    torch.manual_seed(seed)
    train_tokens = load_tokens(data_dir, "train")  # (12000, 64)
    valid_tokens = load_tokens(data_dir, "valid")[:VALID_ROWS]
    if dry_run:
        train_tokens = train_tokens[: DRY_RUN_BATCHES * BATCH_SIZE]
        valid_tokens = valid_tokens[:BATCH_SIZE]
        epochs = 1
    loader = make_loader(train_tokens, batch_size=BATCH_SIZE, shuffle=True, seed=seed)

    model = CharRNN(embed_dim=EMBED_DIM, hidden_dim=HIDDEN_DIM, cell=CELL, dropout=DROPOUT)
    model = model.to(device)
    optimizer = make_optimizer(model, name="adam", lr=LR)
    # big steps first, fine ones last: the learning rate decays to 0 along a half cosine
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(
        optimizer, T_max=max(1, epochs * len(loader))
    )
    lines: list[str] = []
    start = time.perf_counter()
    for epoch in range(epochs):
        train_loss = train_one_epoch(
            model,
            loader,
            optimizer,
            clip_norm=CLIP_NORM,
            device=device,
            on_step=lambda _: scheduler.step(),
        )
        valid_nll = sequence_nll(model, valid_tokens, device=device)
        lines.append(
            f"epoch {epoch + 1}/{epochs} train_loss {train_loss:.4f} "
            f"valid_nll {valid_nll:.4f} time {time.perf_counter() - start:.0f}s "
            f"of {time_budget_s:.0f}s"
        )
        if log_dir is not None:  # rewritten every epoch: a run stopped early keeps its log
            Path(log_dir).mkdir(parents=True, exist_ok=True)
            (Path(log_dir) / "train_log.txt").write_text("\n".join(lines) + "\n")
    return model.eval()


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
