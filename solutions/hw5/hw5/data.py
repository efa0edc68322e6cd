"""Given: the course text as token tensors (you do not need to change this file).

A row of the `sequences` dataset is 64 characters over a 28-character vocabulary. Models
never see characters, only their indices into VOCAB ("tokens"): `encode` and `decode`
convert between the two.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import torch
from torch.utils.data import DataLoader

VOCAB = ' "()[]{}0123abcdefghABCDEFGH'  # the same string as coursedata.VOCAB
VOCAB_SIZE = len(VOCAB)  # 28
SEQUENCE_LENGTH = 64  # characters per row
_INDEX = {char: index for index, char in enumerate(VOCAB)}


def encode(text: str) -> torch.Tensor:
    """int64 (len(text),): the index of each character of `text` in VOCAB."""
    unknown = sorted(set(text) - set(_INDEX))
    if unknown:
        raise ValueError(f"characters {unknown} are not in the vocabulary {VOCAB!r}")
    return torch.tensor([_INDEX[char] for char in text], dtype=torch.int64)


def decode(tokens: Iterable[int] | torch.Tensor) -> str:
    """The text of a 1-D sequence of token indices."""
    if isinstance(tokens, torch.Tensor):
        tokens = tokens.tolist()
    return "".join(VOCAB[int(token)] for token in tokens)


def load_tokens(data_dir: str | Path, split: str) -> torch.Tensor:
    """int64 (N, 64): the rows of one split ("train" or "valid")."""
    from coursedata import Sequences  # given; part of the course environment

    return Sequences(Path(data_dir), split).tokens.long()


def make_loader(
    tokens: torch.Tensor, *, batch_size: int, shuffle: bool, seed: int = 0
) -> DataLoader:
    """Batches of rows, int64 (B, L).

    With shuffle=True the order changes every epoch, drawn from a generator seeded with
    `seed`, so a run is repeatable.
    """
    generator = torch.Generator().manual_seed(seed)
    return DataLoader(tokens, batch_size=batch_size, shuffle=shuffle, generator=generator)
