"""Task 5: train the FCN on the course race scenes, on a CPU, within the time budget.

python -m hw4.train --help
python -m hw4.train --dry-run            # a few batches, to check that it runs
python -m hw4.train                      # full training, saves fcn.th
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Iterable
from pathlib import Path

import torch
from torch import nn

from .losses import class_weights, segmentation_loss
from .metrics import ConfusionMatrix
from .models import FCN
from .transforms import JointRandomFlip
from .utils import load_data, save_model

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
    model.train()  # BatchNorm: batch statistics, running averages updated
    total, batches = 0.0, 0
    for batch, (images, masks) in enumerate(loader):
        if max_batches is not None and batch >= max_batches:
            break
        # channels_last (B, H, W, C in memory) makes CPU convolutions faster
        images = images.to(device, memory_format=torch.channels_last)
        logits = model(images)  # (B, 5, H, W)
        loss = segmentation_loss(logits, masks.to(device), weights)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()
        total, batches = total + loss.item(), batches + 1
    return total / max(batches, 1)


@torch.no_grad()
def evaluate(
    model: nn.Module, loader: Batches, device: str = "cpu", max_batches: int | None = None
) -> ConfusionMatrix:
    """The confusion matrix of `model`'s per-pixel predictions on `loader`, in eval mode."""
    model.eval()  # running BatchNorm statistics: each image is scored on its own
    confusion = ConfusionMatrix()
    for batch, (images, masks) in enumerate(loader):
        if max_batches is not None and batch >= max_batches:
            break
        predictions = model(images.to(device)).argmax(dim=1)  # (B, 5, H, W) -> (B, H, W)
        confusion.add(predictions, masks)
    return confusion


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
    torch.manual_seed(seed)
    train_loader = load_data(
        data_dir,
        "train",
        transform=JointRandomFlip(),
        batch_size=batch_size,
        shuffle=True,
        seed=seed,
    )
    valid_loader = load_data(data_dir, "valid", batch_size=50)

    # Weights from the training masks only, never the valid split.
    weights = class_weights(train_loader.dataset.masks).to(device)  # type: ignore[attr-defined]
    model = FCN().to(device, memory_format=torch.channels_last)

    steps_per_epoch = len(train_loader)
    if max_batches is not None:
        steps_per_epoch = min(max_batches, steps_per_epoch)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=lr, total_steps=max(epochs * steps_per_epoch, 1)
    )

    lines: list[str] = []
    start = time.perf_counter()
    for epoch in range(epochs):
        loss = train_one_epoch(
            model, train_loader, optimizer, scheduler, weights, device, max_batches
        )
        confusion = evaluate(model, valid_loader, device, max_batches)
        per_class = " ".join(f"{v:.2f}" for v in confusion.iou().tolist())
        elapsed = time.perf_counter() - start
        lines.append(
            f"epoch {epoch + 1}/{epochs} loss {loss:.3f} valid_miou {confusion.mean_iou():.3f} "
            f"[{per_class}] pixel_accuracy {confusion.pixel_accuracy():.3f} "
            f"time {elapsed:.0f}s of {time_budget_s:.0f}s"
        )
        if verbose:
            print(lines[-1], flush=True)
        if log_dir is not None:  # rewritten every epoch: a run stopped early keeps its log
            Path(log_dir).mkdir(parents=True, exist_ok=True)
            (Path(log_dir) / "train_log.txt").write_text("\n".join(lines) + "\n")
    return model.eval()


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
