"""Task 5: save_model / load_model."""

from __future__ import annotations

from pathlib import Path

import torch

from hw1.models import LinearClassifier
from hw1.utils import load_model, save_model


def test_round_trip(tmp_path: Path) -> None:
    torch.manual_seed(0)
    model = LinearClassifier().eval()
    path = save_model(model, tmp_path / "linear.th")
    assert Path(path).is_file()
    assert Path(path).stat().st_size < 1_000_000, "save the weights only (the state_dict)"
    restored = load_model(path)
    assert isinstance(restored, LinearClassifier)
    x = torch.rand(3, 3, 64, 64)
    with torch.no_grad():
        assert torch.equal(model(x), restored(x)), "the loaded model must give the same outputs"
