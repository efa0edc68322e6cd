"""Task 4: generating text, one character at a time.

Feed the prefix once, keep the recurrent state, then repeat: turn the last position's
logits into a distribution, draw a character, feed just that character (with the state)
to get the next logits. Temperature T reshapes the distribution before the draw:

    p = softmax(logits / T)      T = 1: the model's own distribution
                                 T < 1: sharper (safer, more repetitive text)
                                 T > 1: flatter (more varied, more mistakes)
                                 T = 0: no draw at all, take the argmax (greedy)
"""

from __future__ import annotations

import torch
from torch import nn

from .data import decode, encode  # noqa: F401 (for your sample)


def make_generator(seed: int) -> torch.Generator:
    """Given: a CPU random generator seeded with `seed`, for `sample(..., generator=...)`."""
    return torch.Generator().manual_seed(seed)


def sample(
    model: nn.Module,
    prefix: str,
    n: int,
    *,
    temperature: float = 1.0,
    generator: torch.Generator | None = None,
) -> str:
    """Continue `prefix` with `n` characters drawn from `model`; returns those n characters.

    Args:
        model: a CharRNN; it is switched to eval mode.
        prefix: at least one character of VOCAB (rows of the course text start with a
            mode digit, e.g. "2").
        n: how many characters to generate.
        temperature: 0 for greedy decoding (argmax), else the logits are divided by it.
        generator: the source of randomness for every draw (torch.multinomial), so that
            the same seed gives the same text; None uses torch's global generator.
    """
    # TODO (Task 4): model.eval(); under torch.no_grad(): run forward_with_state on the
    #   whole prefix as a (1, P) batch (on the model's device). Then n times: take the
    #   logits of the last position; with temperature 0 pick their argmax, otherwise
    #   draw one index from softmax(logits / temperature) with
    #   torch.multinomial(probs, 1, generator=generator); remember it, and feed it as a
    #   (1, 1) batch together with the state the previous call returned. Return the
    #   decoded characters (decode from data.py).
    raise NotImplementedError("Task 4: sample")
