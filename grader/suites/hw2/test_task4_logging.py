"""Homework 2, Task 4: TensorBoard logging with TrainingLogger (hidden suite).

The worker writes event files into the exchange directory; the parent reads them back with
its own capped reader (tb_events.py) and compares them with what it asked to log.
"""

from __future__ import annotations

import math
from pathlib import Path

from grader.suitekit import RemotePackage, number, weight
from grader.suites.hw2.tb_events import read_scalars

TAGS = ("train/loss", "train/accuracy", "valid/accuracy")


def _close(got: list[float], want: list[float]) -> bool:
    return len(got) == len(want) and all(
        math.isclose(g, w, rel_tol=1e-5, abs_tol=1e-6) for g, w in zip(got, want, strict=True)
    )


@number("4.1")
@weight(8)
def test_training_logger_writes_scalars(student: RemotePackage, exchange_dir: Path) -> None:
    """TrainingLogger writes train/loss per step and both accuracies per epoch"""
    log_dir = exchange_dir / "run"
    losses = [2.0 - 0.1 * i for i in range(7)]
    accuracies = [(0.3, 0.25), (0.45, 0.4)]
    logger = student.logger.TrainingLogger(str(log_dir))
    for loss in losses:
        logger.log_step(loss)
    for epoch, (train_accuracy, valid_accuracy) in enumerate(accuracies):
        logger.log_epoch(epoch, train_accuracy, valid_accuracy)
    logger.close()

    assert log_dir.is_dir(), "TrainingLogger wrote nothing: create a SummaryWriter(log_dir)"
    scalars = read_scalars(log_dir)
    missing = [tag for tag in TAGS if tag not in scalars.series]
    found = ", ".join(sorted(scalars.series)) or "none"
    assert not missing, (
        f"tags {', '.join(missing)} missing from the TensorBoard logs (found: {found})"
    )
    assert _close(scalars.values("train/loss"), losses), (
        f"train/loss holds {len(scalars.values('train/loss'))} values, expected one per "
        "log_step call with the loss it was given"
    )
    assert scalars.steps("train/loss") == list(range(len(losses))), (
        "train/loss must be logged at global steps 0, 1, 2, ... (one per log_step call)"
    )
    for index, tag in enumerate(TAGS[1:]):
        want = [pair[index] for pair in accuracies]
        assert _close(scalars.values(tag), want), (
            f"{tag} should hold one value per log_epoch call, the accuracy it was given"
        )
        assert scalars.steps(tag) == list(range(len(accuracies))), (
            f"{tag} must be logged at the epoch number as its step"
        )


@number("4.2")
@weight(2)
def test_training_logger_without_log_dir(student: RemotePackage) -> None:
    """TrainingLogger(None) accepts every call, so training code can log unconditionally"""
    logger = student.logger.TrainingLogger(None)
    logger.log_step(1.5)
    logger.log_epoch(0, 0.5, 0.4)
    logger.close()
