"""The one import for hidden-suite authors: `from grader.suitekit import ...`.

Everything a suite needs from the grader, in one place (docs/writing-tests.md):
- metadata decorators (gradescope-utils): weight, number, partial_credit, visibility, tags,
  hide_errors, leaderboard; checked at collection by the engine;
- checks of values that came back from the worker: expect_tensor, expect_number,
  expect_int, InvalidValue;
- timed training and evaluation: train_student, TrainedModel, predict,
  evaluate_classifier, load_targets, predict_split, calibration_for, EVAL_UNITS;
- what one epoch of a training loop did: expect_epoch_parameters, expect_epoch_mean_loss;
- BatchNorm state helpers and checks: expect_eval_mode_independence, batch_norms,
  randomised, zeroed, batch_norm_eval, state_dict_of, running_stats;
- scoring: band_points, linear_band;
- engine handles for type hints: GradingSession, RemotePackage, RemoteModule;
- read_worker_file: read a file a worker wrote without trusting it.

The sandbox itself is not a suite's business; `read_worker_file` is re-exported here so
no suite imports the sandbox (only the engine does: grader/engine/sandboxing.py).
"""

from __future__ import annotations

from gradescope_utils.autograder_utils.decorators import (
    hide_errors,
    leaderboard,
    number,
    partial_credit,
    tags,
    visibility,
    weight,
)

from grader.batchnorm import (
    BatchNormEntry,
    batch_norm_eval,
    batch_norms,
    constant,
    expect_eval_mode_independence,
    randomised,
    running_stats,
    state_dict_of,
    zeroed,
)
from grader.checks import expect_int, expect_number, expect_tensor
from grader.engine import GradingSession, RemoteModule, RemotePackage
from grader.engine.sandboxing import read_worker_file
from grader.errors import GraderSideFailure, InvalidValue, StudentException
from grader.scoring import band_points, linear_band
from grader.suitekit.loops import expect_epoch_mean_loss, expect_epoch_parameters
from grader.suitekit.prediction import expect_image_logits, predict
from grader.training import (
    EVAL_UNITS,
    TrainedModel,
    calibration_for,
    evaluate_classifier,
    load_targets,
    predict_split,
    train_student,
)

__all__ = [
    "expect_eval_mode_independence",
    "expect_epoch_mean_loss",
    "expect_epoch_parameters",
    "expect_image_logits",
    "EVAL_UNITS",
    "BatchNormEntry",
    "GraderSideFailure",
    "StudentException",
    "constant",
    "calibration_for",
    "GradingSession",
    "InvalidValue",
    "RemoteModule",
    "RemotePackage",
    "TrainedModel",
    "band_points",
    "batch_norm_eval",
    "batch_norms",
    "evaluate_classifier",
    "expect_int",
    "expect_number",
    "expect_tensor",
    "hide_errors",
    "leaderboard",
    "linear_band",
    "load_targets",
    "number",
    "partial_credit",
    "predict",
    "predict_split",
    "randomised",
    "read_worker_file",
    "running_stats",
    "state_dict_of",
    "tags",
    "train_student",
    "visibility",
    "weight",
    "zeroed",
]
