"""Task 4: logging training curves to TensorBoard.

A SummaryWriter appends events to a file in `log_dir`; `tensorboard --logdir runs` plots
every tag as a curve over its `global_step`. The loss is logged after every optimizer step
(step 0, 1, 2, ... counted over the whole run), the accuracies once per epoch (epoch 0, 1, ...).
"""

from __future__ import annotations

from torch.utils.tensorboard import SummaryWriter

TRAIN_LOSS = "train/loss"  # one value per optimizer step
TRAIN_ACCURACY = "train/accuracy"  # one value per epoch, a fraction in [0, 1]
VALID_ACCURACY = "valid/accuracy"  # one value per epoch, a fraction in [0, 1]


class TrainingLogger:
    """Writes the three curves of a training run as TensorBoard scalars.

    With log_dir=None nothing is written, so training code can log unconditionally.
    """

    def __init__(self, log_dir: str | None) -> None:
        # TODO (Task 4): a SummaryWriter(log_dir), or None when log_dir is None, and a
        #   global step counter starting at 0.
        raise NotImplementedError("Task 4: TrainingLogger.__init__")

    def log_step(self, loss: float) -> None:
        """Record one optimizer step's training loss at the current step, then advance it."""
        # TODO (Task 4): add_scalar(TRAIN_LOSS, loss, step), then step += 1.
        raise NotImplementedError("Task 4: TrainingLogger.log_step")

    def log_epoch(self, epoch: int, train_accuracy: float, valid_accuracy: float) -> None:
        """Record the accuracies (fractions in [0, 1]) measured after epoch `epoch`."""
        # TODO (Task 4): both accuracies with the epoch number as their step.
        raise NotImplementedError("Task 4: TrainingLogger.log_epoch")

    def close(self) -> None:
        """Flush everything to disk; call it when training ends."""
        # TODO (Task 4): close the writer (if there is one).
        raise NotImplementedError("Task 4: TrainingLogger.close")
