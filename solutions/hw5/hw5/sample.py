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

from .data import decode, encode


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
    if not prefix:
        raise ValueError("sample needs a non-empty prefix: the model predicts from context")
    if temperature < 0:
        raise ValueError(f"temperature must be >= 0, got {temperature}")
    model.eval()
    device = next(model.parameters()).device
    generated: list[int] = []
    with torch.no_grad():
        # the whole prefix in one call; afterwards one character per call
        logits, state = model.forward_with_state(encode(prefix)[None].to(device))
        for _ in range(n):
            last = logits[0, -1].double().cpu()  # (V,) scores for the next character
            if temperature == 0:
                token = int(last.argmax())
            else:
                probs = torch.softmax(last / temperature, dim=0)
                token = int(torch.multinomial(probs, 1, generator=generator))
            generated.append(token)
            step = torch.tensor([[token]], dtype=torch.int64, device=device)  # (1, 1)
            logits, state = model.forward_with_state(step, state)
    return decode(generated)
