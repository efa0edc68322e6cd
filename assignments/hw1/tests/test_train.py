"""Task 4: the training entry point (needs the course data: run `make data` first)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hw1.models import LinearClassifier
from hw1.train import main, train


def test_dry_run(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["--dry-run", "--data-dir", str(data_dir)])
    assert "dry run finished" in capsys.readouterr().out


def test_train_returns_a_linear_classifier(data_dir: Path, tmp_path: Path) -> None:
    model = train(data_dir=str(data_dir), epochs=1, max_batches=3, log_dir=str(tmp_path))
    assert isinstance(model, LinearClassifier)
    assert not model.training, "return the model in eval mode"
    assert (tmp_path / "train_log.txt").is_file()
