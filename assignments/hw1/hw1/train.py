"""Task 4: train the LinearClassifier on the course images.

The loop has the shape every PyTorch training script shares:

    for each epoch:
        for each batch (images, labels):
            logits = model(images)            # forward
            loss = loss_fn(logits, labels)
            optimizer.zero_grad()             # clear the previous batch's gradients
            loss.backward()                   # autograd: d loss / d parameters
            optimizer.step()                  # move the parameters downhill

Run it from the assignment folder:

    python -m hw1.train --help
    python -m hw1.train --dry-run            # a few batches, to check that it runs
    python -m hw1.train                      # full training, saves linear.th
"""

from __future__ import annotations

import argparse

import torch
from torch import nn
from torch.utils.data import DataLoader

from .utils import save_model

# A fixed amount of work: the grader's budget is a limit, not a target. These settings
# finish in well under half the budget on a 2-core laptop CPU.
EPOCHS = 6
BATCH_SIZE = 128
LEARNING_RATE = 1e-3


def train_one_epoch(
    model: nn.Module,
    loader: DataLoader,
    loss_fn: nn.Module,
    optimizer: torch.optim.Optimizer,
    device: str,
    max_batches: int | None = None,
) -> float:
    """One pass over `loader`; returns the mean training loss over the batches seen."""
    # TODO (Task 4): model.train(); for each (images, labels) batch moved to `device`:
    #   forward, loss, zero_grad, backward, step; stop after max_batches when it is set.
    raise NotImplementedError("Task 4: train_one_epoch")


@torch.no_grad()
def evaluate(
    model: nn.Module, loader: DataLoader, device: str, max_batches: int | None = None
) -> float:
    """Accuracy of `model` on `loader` (labels included), in [0, 1]."""
    model.eval()
    correct, seen = 0, 0
    for batch, (images, labels) in enumerate(loader):
        if max_batches is not None and batch >= max_batches:
            break
        predictions = model(images.to(device)).argmax(dim=1)  # (B,)
        correct += (predictions == labels.to(device)).sum().item()
        seen += labels.numel()
    return correct / max(seen, 1)


def train(
    *,
    data_dir: str,
    device: str = "cpu",
    time_budget_s: float = 60.0,
    seed: int = 0,
    log_dir: str | None = None,
    epochs: int = EPOCHS,
    batch_size: int = BATCH_SIZE,
    lr: float = LEARNING_RATE,
    max_batches: int | None = None,
    verbose: bool = False,
) -> nn.Module:
    """Train a LinearClassifier on the training split and return it in eval mode.

    Args:
        data_dir: the dataset root (the folder that holds images/).
        device: where to train ("cpu", "cuda", "mps").
        time_budget_s: the grader stops training after this many seconds. Train for a
            fixed number of epochs that fits in about half of it; do not watch the clock.
        seed: seeds the weight initialisation and the shuffling, so a run can be repeated.
        log_dir: if given, a per-epoch log is written to log_dir/train_log.txt.
        epochs, batch_size, lr: the training settings.
        max_batches: stop each epoch after this many batches (for --dry-run).
        verbose: print one line per epoch.
    """
    # TODO (Task 4):
    #   1. torch.manual_seed(seed); the train and valid loaders from load_data (shuffle the
    #      training data); a LinearClassifier on `device`; ClassificationLoss; an optimizer
    #      from torch.optim (Adam with lr works well here), and a learning-rate schedule
    #      that falls linearly towards 0 over the epochs (torch.optim.lr_scheduler.LinearLR).
    #   2. For each of `epochs` epochs: train_one_epoch, step the schedule, then evaluate
    #      on the valid split;
    #      keep a log line per epoch (print it when verbose; write it to
    #      log_dir/train_log.txt when log_dir is given).
    #   3. Return the model in eval mode.
    raise NotImplementedError("Task 4: train")


def main(argv: list[str] | None = None) -> None:
    from coursedata import default_root  # given; part of the course environment

    parser = argparse.ArgumentParser(
        prog="python -m hw1.train",
        description="Train the Homework 1 LinearClassifier on the course images.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,  # help states each default
    )
    parser.add_argument("--data-dir", default=str(default_root()), help="dataset root")
    parser.add_argument("--device", default="cpu", help="cpu, cuda or mps")
    parser.add_argument("--epochs", type=int, default=EPOCHS, help="passes over the data")
    parser.add_argument("--batch-size", type=int, default=BATCH_SIZE, help="images per step")
    parser.add_argument("--lr", type=float, default=LEARNING_RATE,
                        help="initial Adam learning rate; it falls linearly towards 0")
    parser.add_argument("--seed", type=int, default=0, help="random seed")
    parser.add_argument("--log-dir", default=None, help="folder for train_log.txt")
    parser.add_argument("--save", default="linear.th", help="where to save the weights")
    parser.add_argument("--dry-run", action="store_true",
                        help="one epoch of 2 batches, nothing saved: checks that it runs")
    args = parser.parse_args(argv)

    model = train(
        data_dir=args.data_dir,
        device=args.device,
        seed=args.seed,
        log_dir=args.log_dir,
        epochs=1 if args.dry_run else args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        max_batches=2 if args.dry_run else None,
        verbose=True,
    )
    if args.dry_run:
        print("dry run finished")
    else:
        print(f"saved weights to {save_model(model, args.save)}")


if __name__ == "__main__":
    main()
