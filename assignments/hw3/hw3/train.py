"""Task 4: train the CNNClassifier on the course images, on a CPU, within the time budget.

    python -m hw3.train --help
    python -m hw3.train --dry-run            # a few batches, to check that it runs
    python -m hw3.train                      # full training, saves cnn.th
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import DataLoader

from .models import CNNClassifier
from .transforms import channel_stats, train_transform, valid_transform
from .utils import ImageSamples, load_data, save_model

# A fixed amount of work: the budget is a limit, not a target. These settings use about
# half of the grader's budget on a 2-core laptop CPU.
EPOCHS = 8
BATCH_SIZE = 128
LEARNING_RATE = 0.1  # peak of the one-cycle schedule (SGD with momentum)
WEIGHT_DECAY = 5e-4
STATS_IMAGES = 512  # training images used to estimate the input mean and std


def train_one_epoch(
    model: nn.Module,
    loader: DataLoader,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
    device: str,
    max_batches: int | None = None,
) -> float:
    """One pass over `loader` in train mode; returns the mean training loss."""
    # TODO (Task 4): model.train() (BatchNorm uses batch statistics and updates its
    #   running averages); for each (images, labels) batch moved to `device` with
    #   images.to(device, memory_format=torch.channels_last) (about a third faster on a
    #   CPU, as long as the model is channels_last too): forward,
    #   cross-entropy loss, zero_grad, backward, optimizer.step(), scheduler.step(); stop
    #   after max_batches when it is set. Return the mean loss.
    raise NotImplementedError("Task 4: train_one_epoch")


@torch.no_grad()
def evaluate(
    model: nn.Module, loader: DataLoader, device: str, max_batches: int | None = None
) -> float:
    """Accuracy of `model` on `loader` in eval mode (running BatchNorm statistics)."""
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
    """Train a CNNClassifier on the training split and return it in eval mode.

    Args:
        data_dir: the dataset root (the folder that holds images/).
        device: where to train ("cpu", "cuda", "mps").
        time_budget_s: the grader stops training after this many seconds. Train for a
            fixed number of epochs that fits in about half of it; do not watch the clock.
        seed: seeds the weight initialisation, the shuffling and the augmentation.
        log_dir: if given, a per-epoch log is written to log_dir/train_log.txt.
        epochs, batch_size, lr: the training settings (lr is the one-cycle peak).
        max_batches: stop each epoch after this many batches (for --dry-run).
        verbose: print one line per epoch.
    """
    # TODO (Task 4):
    #   1. torch.manual_seed(seed); the train loader from load_data with train_transform()
    #      (shuffle=True, seed=seed) and the valid loader with valid_transform().
    #   2. The input statistics from training images only: channel_stats on the first
    #      STATS_IMAGES of train_loader.dataset.images (uint8: convert to float / 255).
    #      A CNNClassifier with input_mean / input_std set from them, moved with
    #      model.to(device, memory_format=torch.channels_last).
    #   3. SGD (momentum 0.9, nesterov=True, weight_decay=WEIGHT_DECAY) and a OneCycleLR
    #      schedule with max_lr=lr over epochs * (batches per epoch) steps.
    #   4. For each epoch: train_one_epoch, then evaluate on the valid split; keep a log
    #      line per epoch (print it when verbose; write log_dir/train_log.txt when set).
    #   5. Return the model in eval mode: the grader evaluates what you return.
    raise NotImplementedError("Task 4: train")


def main(argv: list[str] | None = None) -> None:
    from coursedata import default_root  # given; part of the course environment

    parser = argparse.ArgumentParser(
        prog="python -m hw3.train",
        description="Train the Homework 3 CNNClassifier on the course images.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,  # help states each default
    )
    parser.add_argument("--data-dir", default=str(default_root()), help="dataset root")
    parser.add_argument("--device", default="cpu", help="cpu, cuda or mps")
    parser.add_argument("--epochs", type=int, default=EPOCHS, help="passes over the data")
    parser.add_argument("--batch-size", type=int, default=BATCH_SIZE, help="images per step")
    parser.add_argument("--lr", type=float, default=LEARNING_RATE, help="peak learning rate")
    parser.add_argument("--seed", type=int, default=0, help="random seed")
    parser.add_argument("--log-dir", default=None, help="folder for train_log.txt")
    parser.add_argument("--save", default="cnn.th", help="where to save the weights")
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
