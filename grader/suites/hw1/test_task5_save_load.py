"""Task 5: save_model / load_model (10 points).

save_model runs in one worker and load_model in a fresh one, so nothing but the file
can carry the weights across.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import torch

from grader.suitekit import InvalidValue, expect_tensor, number, weight

SIZE_CAP_BYTES = 1_000_000  # stated in the handout; the weights alone are about 295 kB


def random_state(seed: int) -> dict[str, torch.Tensor]:
    """Weights no fresh LinearClassifier could have by chance."""
    gen = torch.Generator().manual_seed(seed)
    return {
        "weight": torch.randn(6, 3 * 64 * 64, generator=gen) * 0.01,
        "bias": torch.randn(6, generator=gen),
    }


def saved_model(student, path: Path, seed: int) -> torch.Tensor:
    """Make a LinearClassifier with known weights in `student`'s worker, save it to `path`
    with save_model, and return what it outputs on probe images (B, 6)."""
    model = student.models.LinearClassifier()
    state = random_state(seed)
    names = sorted(model.state_dict())
    if len(names) != 2:
        raise InvalidValue(
            f"LinearClassifier's state_dict has {len(names)} entries, expected "
            "2 (a weight and a bias; see Task 2)"
        )
    by_shape = {tuple(t.shape): t for t in state.values()}
    current = model.state_dict()
    new_state = {}
    for name in names:
        shape = tuple(current[name].shape)
        if shape not in by_shape:
            raise InvalidValue(
                f"LinearClassifier parameter {name} has shape {shape}, expected "
                "(6, 12288) and (6,) (see Task 2)"
            )
        new_state[name] = by_shape[shape]
    model.load_state_dict(new_state)
    model.eval()
    student.utils.save_model(model, str(path))
    return expect_tensor(model(probe_images()), shape=(4, 6), name="LinearClassifier output")


def probe_images() -> torch.Tensor:
    return torch.rand(4, 3, 64, 64, generator=torch.Generator().manual_seed(77))  # (B, 3, 64, 64)


def file_size(path: Path) -> int:
    """The size of a regular file a worker wrote, without following links."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        raise InvalidValue(
            f"save_model did not create the file it was given ({path.name})"
        ) from None
    if not stat.S_ISREG(info.st_mode):
        raise InvalidValue(f"save_model wrote {path.name} as something other than a plain file")
    return info.st_size


@number("5.1")
@weight(6)
def test_round_trip(student, grader_session, exchange_dir):
    """A model loaded in a fresh process gives exactly the saved model's outputs"""
    path = exchange_dir / "linear.th"
    expected = saved_model(student, path, seed=5)
    file_size(path)
    with grader_session.spawn() as fresh:
        loaded = fresh.utils.load_model(str(path))
        got = expect_tensor(loaded(probe_images()), shape=(4, 6), name="loaded model output")
    assert torch.equal(got, expected), (
        f"the loaded model's outputs differ from the saved model's by up to "
        f"{(got - expected).abs().max().item():.3g}: load_model must restore the saved weights"
    )


@number("5.2")
@weight(4)
def test_file_size(student, exchange_dir):
    """The saved file is smaller than 1 MB"""
    path = exchange_dir / "linear.th"
    saved_model(student, path, seed=6)
    size = file_size(path)
    assert size < SIZE_CAP_BYTES, (
        f"save_model wrote {size} bytes, more than {SIZE_CAP_BYTES}: save the state_dict only "
        "(no optimizer, no data)"
    )
