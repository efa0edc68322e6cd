"""Regenerate hidden/: the classifier's hidden inputs and labels (run once; committed)."""

from pathlib import Path

import numpy as np

HIDDEN = Path(__file__).resolve().parent / "hidden"


def main() -> None:
    rng = np.random.default_rng(1234)
    inputs = rng.standard_normal((64, 3)).astype(np.float32)  # (N, 3) scores
    HIDDEN.mkdir(exist_ok=True)
    np.save(HIDDEN / "inputs.npy", inputs)
    np.save(HIDDEN / "labels.npy", inputs.argmax(axis=1).astype(np.int64))  # (N,)


if __name__ == "__main__":
    main()
