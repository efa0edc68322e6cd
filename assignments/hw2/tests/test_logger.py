"""Task 4: TrainingLogger writes the three curves with the stated tags and steps."""

from __future__ import annotations

from pathlib import Path

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from hw2.logger import TRAIN_ACCURACY, TRAIN_LOSS, VALID_ACCURACY, TrainingLogger


def test_tags_steps_and_values(tmp_path: Path) -> None:
    logger = TrainingLogger(str(tmp_path))
    for loss in (2.0, 1.5, 1.0):
        logger.log_step(loss)
    logger.log_epoch(0, 0.4, 0.3)
    logger.close()

    events = EventAccumulator(str(tmp_path))
    events.Reload()
    assert {TRAIN_LOSS, TRAIN_ACCURACY, VALID_ACCURACY} <= set(events.Tags()["scalars"])
    loss = events.Scalars(TRAIN_LOSS)
    assert [e.step for e in loss] == [0, 1, 2]
    assert [e.value for e in loss] == [2.0, 1.5, 1.0]
    assert [(e.step, round(e.value, 6)) for e in events.Scalars(VALID_ACCURACY)] == [(0, 0.3)]


def test_no_log_dir_writes_nothing(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    logger = TrainingLogger(None)
    logger.log_step(1.0)
    logger.log_epoch(0, 0.5, 0.5)
    logger.close()
    assert not any(tmp_path.iterdir()), "TrainingLogger(None) should not create files"
