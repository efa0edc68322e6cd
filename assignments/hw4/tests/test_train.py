"""Task 5: evaluation and the training entry point (needs the course data: `make data`)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from hw4.models import FCN
from hw4.train import evaluate, main, train


def test_evaluate_uses_eval_mode() -> None:
    torch.manual_seed(0)
    model = FCN()
    images, masks = torch.rand(2, 3, 16, 24), torch.randint(0, 5, (2, 16, 24))
    confusion = evaluate(model, [(images, masks)])
    assert not model.training, "evaluate should put the model in eval mode"
    assert int(confusion.matrix.sum()) == masks.numel()


def test_dry_run(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["--dry-run", "--data-dir", str(data_dir)])
    assert "dry run finished" in capsys.readouterr().out


def test_train_returns_an_fcn(data_dir: Path, tmp_path: Path) -> None:
    model = train(data_dir=str(data_dir), epochs=1, max_batches=3, log_dir=str(tmp_path))
    assert isinstance(model, FCN)
    assert not model.training, "return the model in eval mode"
    assert (tmp_path / "train_log.txt").is_file()
