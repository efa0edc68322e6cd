"""Task 2: the next-character loss, and the per-character NLL of a model on held-out text.

Teacher forcing: the model reads the true text, and the logits at position t are scored
against the true character at t + 1. Position 0 is never a target (nothing precedes it),
so a row of L characters gives L - 1 predictions:

    logits[:, :-1]  (B, L - 1, V)   predict   tokens[:, 1:]  (B, L - 1)

The loss is the mean negative log-likelihood of the targets in nats (natural log) per
character: exactly F.cross_entropy over the B * (L - 1) predictions.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


def next_char_loss(logits: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
    """Mean NLL in nats per character of tokens[:, 1:] under logits[:, :-1].

    Args:
        logits: (B, L, V) the model's output for `tokens`.
        tokens: (B, L) int64, the text the model read.

    Returns:
        A scalar tensor (differentiable: training calls backward() on it).
    """
    vocab = logits.shape[-1]
    predictions = logits[:, :-1].reshape(-1, vocab)  # (B * (L - 1), V)
    targets = tokens[:, 1:].reshape(-1)  # (B * (L - 1),): the character after each one
    return F.cross_entropy(predictions, targets)


def sequence_nll(
    model: nn.Module, tokens: torch.Tensor, *, batch_size: int = 256, device: str = "cpu"
) -> float:
    """Mean NLL in nats per character of `tokens` under `model`, characters 1..L-1 of every row.

    Runs the model in eval mode (dropout off; it is left in eval mode) under
    torch.no_grad(), in batches of `batch_size` rows. Every predicted character counts
    the same, whatever batch it falls in.
    """
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for start in range(0, len(tokens), batch_size):
            batch = tokens[start : start + batch_size].to(device)  # (b, L)
            predictions = batch.shape[0] * (batch.shape[1] - 1)
            total += next_char_loss(model(batch), batch).item() * predictions
            count += predictions
    if count == 0:
        raise ValueError("sequence_nll needs at least one row of two or more characters")
    return total / count
