"""Task 5: train the FCN on the course race scenes, on a CPU, within the time budget.

python -m hw4.train --help
python -m hw4.train --dry-run            # a few batches, to check that it runs
python -m hw4.train                      # full training, saves fcn.th
"""

from __future__ import annotations

# The imports Task 5 needs; ruff would flag them as unused until you write it.
import argparse
import time  # noqa: F401
from collections.abc import Iterable
from pathlib import Path  # noqa: F401

import torch
from torch import nn

from .losses import class_weights, segmentation_loss  # noqa: F401
from .metrics import ConfusionMatrix  # noqa: F401
from .models import FCN  # noqa: F401
from .transforms import JointRandomFlip  # noqa: F401
from .utils import load_data, save_model  # noqa: F401

# A fixed amount of work: the budget is a limit, not a target. These settings use about
# half of the grader's budget on a 2-core laptop CPU.
EPOCHS = 5
BATCH_SIZE = 8  # small batches: more updates per epoch, which matters more than batch size here
LEARNING_RATE = 4e-3  # peak of the one-cycle schedule (Adam)

Batches = Iterable[tuple[torch.Tensor, torch.Tensor]]  # (images (B, 3, H, W), masks (B, H, W))


def train_one_epoch(
    model: nn.Module,
    loader: Batches,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
    weights: torch.Tensor,
    device: str,
    max_batches: int | None = None,
) -> float:
    """One pass over `loader` in train mode with the weighted loss; returns its mean."""
    # TODO (Task 5): model.train() (BatchNorm uses batch statistics and updates its
    #   running averages); for each (images, masks) batch: images moved to `device` with
    #   memory_format=torch.channels_last, forward (B, 5, H, W), segmentation_loss with the
    #   weights, zero_grad, backward, optimizer.step(), scheduler.step(); stop after
    #   max_batches when it is set. Return the mean loss.
    raise NotImplementedError("Task 5: train_one_epoch")


@torch.no_grad()
def evaluate(
    model: nn.Module, loader: Batches, device: str = "cpu", max_batches: int | None = None
) -> ConfusionMatrix:
    """The confusion matrix of `model`'s per-pixel predictions on `loader`, in eval mode."""
    # TODO (Task 5): model.eval() (running BatchNorm statistics); a ConfusionMatrix();
    #   for each (images, masks) batch, up to max_batches: the predicted class of every
    #   pixel, the argmax of the logits over the class dimension (B, 5, H, W) -> (B, H, W),
    #   added to the matrix with the masks. Return the matrix.
    raise NotImplementedError("Task 5: evaluate")


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
    """Train an FCN on the training split and return it in eval mode.

    Args:
        data_dir: the dataset root (the folder that holds segmentation/).
        device: where to train ("cpu", "cuda", "mps").
        time_budget_s: the grader stops training after this many seconds. Train for a
            fixed number of epochs that fits in about half of it; do not watch the clock.
        seed: seeds the weight initialisation, the shuffling and the augmentation.
        log_dir: if given, a per-epoch log is written to log_dir/train_log.txt.
        epochs, batch_size, lr: the training settings (lr is the one-cycle peak).
        max_batches: stop each epoch after this many batches (for --dry-run).
        verbose: print one line per epoch.
    """
    # TODO (Task 5):
    #   1. torch.manual_seed(seed); the train loader from load_data with JointRandomFlip()
    #      (batch_size, shuffle=True, seed=seed) and a valid loader without a transform.
    #   2. class_weights from the training masks (train_loader.dataset.masks) moved to
    #      device; an FCN() moved with model.to(device, memory_format=torch.channels_last).
    #   3. Adam and a OneCycleLR schedule with max_lr=lr over epochs * (batches per epoch)
    #      steps (fewer batches per epoch when max_batches is set).
    #   4. For each epoch: train_one_epoch, then evaluate on the valid split; keep a log
    #      line per epoch with the valid mean IoU and the IoU per class (print it when
    #      verbose; write log_dir/train_log.txt when log_dir is set).
    #   5. Return the model in eval mode: the grader evaluates what you return.
    raise NotImplementedError("Task 5: train")


def main(argv: list[str] | None = None) -> None:
    from coursedata import default_root  # given; part of the course environment

    parser = argparse.ArgumentParser(
        prog="python -m hw4.train",
        description="Train the Homework 4 FCN on the course race scenes.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,  # help states each default
    )
    parser.add_argument("--data-dir", default=str(default_root()), help="dataset root")
    parser.add_argument("--device", default="cpu", help="cpu, cuda or mps")
    parser.add_argument("--epochs", type=int, default=EPOCHS, help="passes over the data")
    parser.add_argument("--batch-size", type=int, default=BATCH_SIZE, help="scenes per step")
    parser.add_argument("--lr", type=float, default=LEARNING_RATE, help="peak learning rate")
    parser.add_argument("--seed", type=int, default=0, help="random seed")
    parser.add_argument("--log-dir", default=None, help="folder for train_log.txt")
    parser.add_argument("--save", default="fcn.th", help="where to save the weights")
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="one epoch of 2 batches, nothing saved: checks that it runs",
    )
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
