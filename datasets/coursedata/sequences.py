"""The `sequences` dataset: text from a known stochastic source with long-range structure.

Each row starts with a mode digit (0-3) that sets the letter frequencies for the whole
row; brackets ( [ { nest up to depth 4 and must close in order; quoted stretches use
capitals. The state (mode, bracket stack, inside-quote) is a function of the prefix, so
the source's probability of the next character is known exactly: `optimal_nll` gives
the per-character NLL of the optimal predictor, the floor any model is measured against.
A bigram model cannot know the mode, the depth or which bracket closes next.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

VERSION = 1
VOCAB = ' "()[]{}0123abcdefghABCDEFGH'
SPLIT_SIZES = {"train": 12_000, "valid": 2_000, "test": 2_000}
KEYS = ("tokens",)
HIDDEN_KEYS = ("tokens",)  # the whole test split is hidden: models are scored on it
LENGTH = 64
MAX_DEPTH = 4
_CHUNK = 2_000

_IDX = {ch: i for i, ch in enumerate(VOCAB)}
SPACE, QUOTE = _IDX[" "], _IDX['"']
OPENERS = np.array([_IDX[c] for c in "([{"])
CLOSERS = np.array([_IDX[c] for c in ")]}"])
MODES = np.array([_IDX[c] for c in "0123"])
LOWER = np.array([_IDX[c] for c in "abcdefgh"])
UPPER = np.array([_IDX[c] for c in "ABCDEFGH"])
# Integer weights (probability = weight / row total): exact and machine independent.
LETTER_WEIGHTS = np.array(
    [
        [24, 12, 6, 3, 2, 1, 1, 1],
        [1, 1, 2, 3, 6, 12, 24, 1],
        [4, 24, 1, 12, 1, 6, 1, 1],
        [1, 6, 1, 1, 24, 1, 12, 4],
    ],
    dtype=np.int64,
)
QUOTED_WEIGHTS = LETTER_WEIGHTS[:, ::-1]  # capitals inside quotes: reversed frequencies
OPEN_W, QUOTE_OPEN_W, SPACE_W = 5, 3, 10
CLOSE_W_PER_DEPTH = 5  # deeper nesting closes sooner
QUOTE_CLOSE_W, QUOTED_SPACE_W = 14, 4


class _State:
    """The source's state for N rows: mode, bracket stack, inside-quote flag."""

    def __init__(self, n: int) -> None:
        self.mode = np.full(n, -1, dtype=np.int64)  # -1: the mode digit comes next
        self.depth = np.zeros(n, dtype=np.int64)
        self.stack = np.zeros((n, MAX_DEPTH + 1), dtype=np.int64)  # opener kind per level
        self.quoted = np.zeros(n, dtype=bool)

    def weights(self) -> np.ndarray:
        """int64 (N, V): unnormalised next-character weights."""
        n = len(self.mode)
        rows = np.arange(n)
        w = np.zeros((n, len(VOCAB)), dtype=np.int64)
        start = self.mode < 0
        w[np.ix_(start, MODES)] = 1
        plain = ~start & ~self.quoted
        mode = np.maximum(self.mode, 0)
        w[:, LOWER] = np.where(plain[:, None], LETTER_WEIGHTS[mode], 0)
        w[:, SPACE] = np.where(plain, SPACE_W, np.where(self.quoted, QUOTED_SPACE_W, 0))
        can_open = plain & (self.depth < MAX_DEPTH)
        w[:, OPENERS] = np.where(can_open[:, None], OPEN_W, 0)
        w[:, QUOTE] = np.where(plain, QUOTE_OPEN_W, np.where(self.quoted, QUOTE_CLOSE_W, 0))
        closing = plain & (self.depth > 0)
        top = self.stack[rows, self.depth]
        w[rows[closing], CLOSERS[top[closing]]] = CLOSE_W_PER_DEPTH * self.depth[closing]
        w[:, UPPER] = np.where(self.quoted[:, None], QUOTED_WEIGHTS[mode], 0)
        return w

    def step(self, token: np.ndarray) -> None:
        """Advance every row by its next token (N,)."""
        rows = np.arange(len(token))
        is_mode = self.mode < 0
        self.mode[is_mode] = np.searchsorted(MODES, token[is_mode]).clip(0, 3)
        opens = ~is_mode & np.isin(token, OPENERS) & (self.depth < MAX_DEPTH)
        self.depth[opens] += 1
        self.stack[rows[opens], self.depth[opens]] = np.searchsorted(OPENERS, token[opens])
        closes = ~is_mode & np.isin(token, CLOSERS) & (self.depth > 0)
        self.depth[closes] -= 1
        self.quoted ^= ~is_mode & (token == QUOTE)


def generate(
    n: int, rng: np.random.Generator, tick: Callable[[int], None] | None = None
) -> dict[str, np.ndarray]:
    """tokens uint8 (n, LENGTH): indices into VOCAB."""
    tokens = np.empty((n, LENGTH), dtype=np.uint8)
    for start in range(0, n, _CHUNK):
        stop = min(start + _CHUNK, n)
        tokens[start:stop] = _sample(stop - start, rng)
        if tick is not None:
            tick(stop - start)
    return {"tokens": tokens}


def _sample(n: int, rng: np.random.Generator) -> np.ndarray:
    state = _State(n)
    out = np.empty((n, LENGTH), dtype=np.uint8)
    for t in range(LENGTH):
        cum = np.cumsum(state.weights(), axis=1)  # integer: exact
        r = rng.integers(0, cum[:, -1])  # (N,)
        token = (cum <= r[:, None]).sum(axis=1)  # first index with cum > r
        out[:, t] = token
        state.step(token)
    return out


def optimal_nll(tokens: np.ndarray) -> np.ndarray:
    """float64 (N, L): -log p(token_t | tokens_<t) under the source, in nats.

    Position 0 (the mode digit) costs log 4. Characters the source could not emit get inf.
    """
    tokens = np.asarray(tokens).astype(np.int64)
    if tokens.ndim != 2 or tokens.min(initial=0) < 0 or tokens.max(initial=0) >= len(VOCAB):
        raise ValueError(f"tokens must be (N, L) indices into VOCAB, got shape {tokens.shape}")
    state = _State(len(tokens))
    rows = np.arange(len(tokens))
    nll = np.empty(tokens.shape, dtype=np.float64)
    with np.errstate(divide="ignore"):
        for t in range(tokens.shape[1]):
            w = state.weights()
            p = w[rows, tokens[:, t]] / w.sum(axis=1)
            nll[:, t] = -np.log(p)
            state.step(tokens[:, t])
    return nll


def source_entropy(tokens: np.ndarray) -> np.ndarray:
    """float64 (N, L): entropy of the source's next-character distribution at each prefix.

    Its mean is the expected NLL of the optimal predictor along these rows (lower variance
    than the mean of `optimal_nll`, same expectation).
    """
    tokens = np.asarray(tokens).astype(np.int64)
    state = _State(len(tokens))
    out = np.empty(tokens.shape, dtype=np.float64)
    for t in range(tokens.shape[1]):
        w = state.weights().astype(np.float64)
        p = w / w.sum(axis=1, keepdims=True)
        safe = np.where(p > 0, p, 1.0)
        out[:, t] = -(p * np.log(safe)).sum(axis=1)
        state.step(tokens[:, t])
    return out


def decode(row: np.ndarray) -> str:
    """A token row as text."""
    return "".join(VOCAB[int(i)] for i in row)
