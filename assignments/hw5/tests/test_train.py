"""Task 5: the training entry point (needs the course data: run `make data` first)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hw5.models import CharRNN
from hw5.train import main, train


def test_help_states_defaults(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    text = capsys.readouterr().out
    for option in ("--data-dir", "--device", "--seed", "--epochs", "--log-dir", "--dry-run"):
        assert option in text
    assert "default" in text, "state each option's default in its --help line"


def test_dry_run(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["--dry-run", "--data-dir", str(data_dir)])
    out = capsys.readouterr().out
    assert "valid NLL" in out and "sample" in out


def test_train_returns_a_char_rnn_and_logs(data_dir: Path, tmp_path: Path) -> None:
    model = train(data_dir=str(data_dir), dry_run=True, log_dir=str(tmp_path))
    assert isinstance(model, CharRNN)
    assert not model.training, "return the model in eval mode"
    assert (tmp_path / "train_log.txt").read_text().strip(), "write one line per epoch"
