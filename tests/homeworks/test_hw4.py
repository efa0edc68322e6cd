"""Homework 4 end to end: the reference earns every point, the starter none, common
mistakes (mutants of the reference) lose exactly the points meant to catch them, and the
public tests pass on the reference.

Only the reference grading trains a real model (about 1.5 minutes on an idle 2-core CPU);
the mutants are graded on the tests they target, and those about training run two
batches per epoch.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import (
    Mutant,
    check_handout_points,
    check_mutant_report,
    check_starter_signatures,
    docstring_names,
    make_mutant,
    run_public_tests,
    task_of,
)

ROOT = Path(__file__).resolve().parents[2]
SOLUTION = ROOT / "solutions" / "hw4"
STARTER = ROOT / "assignments" / "hw4"
SUITE = ROOT / "grader" / "suites" / "hw4"

_TRAIN_PY = (SOLUTION / "hw4" / "train.py").read_text()
_MODELS_PY = (SOLUTION / "hw4" / "models.py").read_text()


def _between(text: str, start: str, end: str) -> str:
    """The text from `start` up to and including `end` (both must occur)."""
    begin = text.index(start)
    return text[begin : text.index(end, begin) + len(end)]


# A mutant that needs a trained model trains on 2 batches per epoch: train()'s default
# max_batches becomes 2. The chunk runs from train_one_epoch's model.train() to train()'s
# signature, so one replacement can also change the training mode.
_TRAIN_MAX_BATCHES = "    max_batches: int | None = None,\n    verbose: bool = False,\n"
_MODE_TO_SIGNATURE = _between(_TRAIN_PY, "    model.train()  # BatchNorm", _TRAIN_MAX_BATCHES)
_SIGNATURE_TO_RETURN = _between(_TRAIN_PY, _TRAIN_MAX_BATCHES, "    return model.eval()\n")
_FEW_BATCHES = "    max_batches: int | None = 2,\n    verbose: bool = False,\n"

_FCN_CLASS = _MODELS_PY[_MODELS_PY.index("class FCN(nn.Module):") :]
_FCN_WITHOUT_SKIPS = '''class FCN(nn.Module):
    """Down blocks, then up blocks straight back to full resolution: no skips."""

    def __init__(self, channels: Sequence[int] = (16, 32, 64, 96), n_classes: int = 5) -> None:
        super().__init__()
        widths = [3, *channels]
        self.down = nn.Sequential(*(down_block(a, b) for a, b in zip(widths, widths[1:])))
        back = [*reversed(channels), channels[0]]
        self.up = nn.Sequential(*(up_block(a, b) for a, b in zip(back, back[1:])))
        self.head = nn.Conv2d(channels[0], n_classes, kernel_size=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = self.up(self.down(x))
        return self.head(z[:, :, : x.shape[2], : x.shape[3]])
'''

# `loses`: hidden tests (pytest -k names) that must lose points; `keeps`: tests that must
# still pass, to show each check is aimed at the mistake and not at the whole task.
MUTANTS: list[tuple[Mutant, tuple[str, ...]]] = [
    (
        Mutant(
            "no_skip_connections",
            "hw4/models.py",
            _FCN_CLASS,
            _FCN_WITHOUT_SKIPS,
            loses=("test_skip_connections",),
            says="(skip connections)",
        ),
        ("test_output_shape", "test_any_input_size", "test_layers"),
    ),
    (
        Mutant(
            "output_not_cropped",
            "hw4/models.py",
            "z = block(z)[:, :, : skip.shape[2], : skip.shape[3]]",
            "z = block(z)",
            loses=("test_any_input_size",),
            says="crop or pad the up-convolutions' output",
        ),
        ("test_output_shape", "test_skip_connections"),
    ),
    (
        Mutant(
            "no_stride",
            "hw4/models.py",
            "kernel_size=3, stride=2, padding=1, bias=False",
            "kernel_size=3, padding=1, bias=False",
            loses=("test_layers",),
            says="stride-2 convolutions",
        ),
        ("test_output_shape", "test_parameter_count"),
    ),
    (
        Mutant(
            "miou_over_pixels",
            "hw4/metrics.py",
            "        present = iou[~iou.isnan()]\n"
            "        return float(present.mean()) if len(present) else 0.0\n",
            "        m = self.matrix.double()\n"
            "        hits = m.diag()\n"
            "        return float(hits.sum() / (m.sum(0) + m.sum(1) - hits).sum())\n",
            loses=("test_iou_and_mean_iou", "test_absent_class"),
            says="not a ratio of pixel totals",
        ),
        ("test_confusion_matrix_counts", "test_pixel_accuracy"),
    ),
    (
        Mutant(
            "absent_class_scores_zero",
            "hw4/metrics.py",
            "torch.where(union > 0, hits / union.clamp(min=1), torch.nan)",
            "hits / union.clamp(min=1)",
            loses=("test_absent_class",),
            says="undefined, not 0",
        ),
        ("test_iou_and_mean_iou",),
    ),
    (
        Mutant(
            "nan_mean_for_absent_class",
            "hw4/metrics.py",
            "present = iou[~iou.isnan()]",
            "present = iou",
            loses=("test_absent_class",),
            says="leave it out of the mean",
        ),
        ("test_iou_and_mean_iou",),
    ),
    (
        Mutant(
            "transposed_matrix",
            "hw4/metrics.py",
            "pairs = truth[keep] * self.n_classes + guess[keep]",
            "pairs = guess[keep] * self.n_classes + truth[keep]",
            loses=("test_confusion_matrix_counts",),
            says="matrix is transposed",
        ),
        ("test_pixel_accuracy",),
    ),
    (
        Mutant(
            "class_weights_inverted",
            "hw4/losses.py",
            "weights = share.rsqrt()",
            "weights = share.sqrt()",
            loses=("test_class_weights",),
            says="the rarer a class, the larger its weight",
        ),
        ("test_weighted_loss",),
    ),
    (
        Mutant(
            "unweighted_loss",
            "hw4/losses.py",
            "weight=weights",
            "weight=None",
            loses=("test_weighted_loss",),
            says="ignored the class weights",
        ),
        ("test_class_weights",),
    ),
    (
        Mutant(
            "flips_image_not_mask",
            "hw4/transforms.py",
            "image, mask = image.flip(-1), mask.flip(-1)",
            "image, mask = image.flip(-1), mask",
            loses=("test_flips_image_and_mask_together", "test_flip_settings"),
            says="apply the same flip to the mask",
        ),
        (),
    ),
    (
        Mutant(
            "evaluates_in_train_mode",
            "hw4/train.py",
            "    model.eval()  # running BatchNorm statistics: each image is scored on its own\n",
            "",
            loses=("test_evaluate_in_eval_mode",),
            says="call model.eval() first",
        ),
        ("test_batch_norm_in_eval_mode",),
    ),
    (
        Mutant(
            "argmax_over_wrong_dim",
            "hw4/train.py",
            ".argmax(dim=1)  # (B, 5, H, W)",
            ".argmax(dim=-1)  # (B, 5, H, W)",
            loses=("test_evaluate_in_eval_mode",),
            says="does not match the shape",
        ),
        ("test_output_shape",),
    ),
    # BatchNorm frozen in eval mode while training: the running statistics never move
    (
        Mutant(
            "batch_norm_eval_during_training",
            "hw4/train.py",
            _MODE_TO_SIGNATURE,
            _MODE_TO_SIGNATURE.replace(
                "    model.train()  # BatchNorm", "    model.eval()  # BN"
            ).replace(_TRAIN_MAX_BATCHES, _FEW_BATCHES),
            loses=("test_trained_in_train_mode",),
            says="never updated their running statistics",
        ),
        ("test_returns_an_fcn", "test_returned_in_eval_mode"),
    ),
    # forgets model.eval() before returning
    (
        Mutant(
            "returned_in_train_mode",
            "hw4/train.py",
            _SIGNATURE_TO_RETURN,
            _SIGNATURE_TO_RETURN.replace(_TRAIN_MAX_BATCHES, _FEW_BATCHES).replace(
                "return model.eval()", "return model.train()"
            ),
            loses=("test_returned_in_eval_mode",),
            says="call model.eval() before returning it",
        ),
        ("test_returns_an_fcn", "test_trained_in_train_mode"),
    ),
]


# Every hidden test but Task 5's, which trains a model (minutes) or needs one trained.
_TASKS_1_TO_4 = (
    "test_confusion_matrix_counts",
    "test_iou_and_mean_iou",
    "test_absent_class",
    "test_pixel_accuracy",
    "test_class_weights",
    "test_weighted_loss",
    "test_output_shape",
    "test_any_input_size",
    "test_layers",
    "test_parameter_count",
    "test_skip_connections",
    "test_gradients_reach_every_layer",
    "test_batch_norm_in_train_mode",
    "test_batch_norm_in_eval_mode",
    "test_flips_image_and_mask_together",
    "test_flips_are_random",
    "test_flip_settings",
)

_METRICS_PY = (SOLUTION / "hw4" / "metrics.py").read_text()
_BINCOUNT_ADD = _between(
    _METRICS_PY,
    "        # Each (true, predicted) pair",
    "self.matrix += counts.reshape(self.n_classes, self.n_classes)\n",
)
_IOU_TO_MEAN = _between(
    _METRICS_PY, "        return torch.where(union > 0", "if len(present) else 0.0\n"
)
_FCN_ADDITIVE_SKIPS = '''class FCN(nn.Module):
    """Down blocks, then up blocks whose output is added to the encoder's map of the same
    size (the skip); the image itself is concatenated before the 1x1 head."""

    def __init__(self, channels: Sequence[int] = (16, 32, 64, 96), n_classes: int = 5) -> None:
        super().__init__()
        widths = [3, *channels]
        self.down = nn.ModuleList(down_block(a, b) for a, b in zip(widths, widths[1:]))
        back = [*reversed(channels), channels[0]]  # each up block to its skip's width
        self.up = nn.ModuleList(up_block(a, b) for a, b in zip(back, back[1:]))
        self.head = nn.Conv2d(channels[0] + 3, n_classes, kernel_size=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = []
        z = x
        for block in self.down:
            skips.append(z)
            z = block(z)
        for block, skip in zip(self.up[:-1], reversed(skips[1:])):
            z = block(z)[:, :, : skip.shape[2], : skip.shape[3]] + skip  # add, not concatenate
        z = self.up[-1](z)[:, :, : x.shape[2], : x.shape[3]]
        return self.head(torch.cat([z, x], dim=1))
'''

# Correct solutions written differently from the reference: each keeps every point of
# Tasks 1 to 4.
ALTERNATIVES: list[Mutant] = [
    # one count per (true, predicted) pair of classes instead of a single bincount
    Mutant(
        "confusion_matrix_by_loops",
        "hw4/metrics.py",
        _BINCOUNT_ADD,
        "        truth, guess = truth[keep], guess[keep]  # (P,)\n"
        "        for t in range(self.n_classes):\n"
        "            for p in range(self.n_classes):\n"
        "                self.matrix[t, p] += int(((truth == t) & (guess == p)).sum())\n",
        loses=(),
    ),
    # NaN-safe division by hand: 0 / 0 gives NaN by itself, and nanmean skips it
    Mutant(
        "iou_by_nan_division",
        "hw4/metrics.py",
        _IOU_TO_MEAN,
        _IOU_TO_MEAN.replace(
            "torch.where(union > 0, hits / union.clamp(min=1), torch.nan)",
            "hits / union  # 0 / 0 is NaN in float64",
        ).replace(
            "        present = iou[~iou.isnan()]\n"
            "        return float(present.mean()) if len(present) else 0.0\n",
            "        return 0.0 if bool(iou.isnan().all()) else float(iou.nanmean())\n",
        ),
        loses=(),
    ),
    # the weighted mean written out with log_softmax + gather instead of F.cross_entropy
    Mutant(
        "loss_by_log_softmax_gather",
        "hw4/losses.py",
        "    return F.cross_entropy(logits, masks.long(), weight=weights, "
        "ignore_index=IGNORE_INDEX)\n",
        "    masks = masks.long()\n"
        "    keep = masks != IGNORE_INDEX  # (B, H, W)\n"
        "    log_probs = F.log_softmax(logits, dim=1)  # (B, K, H, W)\n"
        "    picked = log_probs.gather(1, masks.where(keep, 0)[:, None])[:, 0]  # (B, H, W)\n"
        "    if weights is None:\n"
        "        weights = torch.ones(logits.shape[1], dtype=logits.dtype)\n"
        "    w = weights.to(logits)[masks.where(keep, 0)] * keep  # (B, H, W), 0 where unknown\n"
        "    return -(w * picked).sum() / w.sum()\n",
        loses=(),
    ),
    # skips added to the up blocks' output instead of concatenated with it
    Mutant(
        "skips_added_not_concatenated",
        "hw4/models.py",
        _FCN_CLASS,
        _FCN_ADDITIVE_SKIPS,
        loses=(),
    ),
]


def _keyword(names: tuple[str, ...]) -> str:
    return " or ".join(names)


@pytest.mark.slow
def test_reference_earns_every_point(graded) -> None:
    report = graded("hw4", SOLUTION)
    failed = {t.name: t.output for t in report.tests if t.status != "passed"}
    assert not failed, failed
    assert report.max_score == 100
    assert report.score == 100
    assert len(report.tests) >= 22


@pytest.mark.slow
def test_starter_earns_nothing_and_says_not_implemented(graded) -> None:
    report = graded("hw4", STARTER)
    assert report.score == 0
    for t in report.tests:
        expected = f"not implemented yet: {task_of(t.number)}"
        if t.number == "5.1":  # evaluate needs an FCN (Task 3) before it can run
            expected = "not implemented yet: Task "
        assert t.output.startswith(expected), (t.number, t.output)


@pytest.mark.slow
@pytest.mark.parametrize(("mutant", "keeps"), MUTANTS, ids=[m.name for m, _ in MUTANTS])
def test_mutant_loses_its_points(
    graded, tmp_path: Path, mutant: Mutant, keeps: tuple[str, ...]
) -> None:
    submission = make_mutant(SOLUTION, mutant, tmp_path / mutant.name)
    report = graded("hw4", submission, keyword=_keyword(mutant.loses + keeps))
    check_mutant_report(report, mutant, keeps, _NAMES)


@pytest.mark.slow
@pytest.mark.parametrize("alternative", ALTERNATIVES, ids=[m.name for m in ALTERNATIVES])
def test_correct_alternative_keeps_every_point(graded, tmp_path: Path, alternative: Mutant) -> None:
    submission = make_mutant(SOLUTION, alternative, tmp_path / alternative.name)
    report = graded("hw4", submission, keyword=_keyword(_TASKS_1_TO_4))
    check_mutant_report(report, alternative, _TASKS_1_TO_4, _NAMES)


def test_public_tests_pass_on_the_reference() -> None:
    proc = run_public_tests(STARTER, SOLUTION)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]


def test_starter_keeps_the_solution_signatures() -> None:
    check_starter_signatures(STARTER, SOLUTION, "hw4")


def test_given_utils_are_identical() -> None:
    """utils.py is given complete: the starter's copy is the reference's."""
    assert (STARTER / "hw4" / "utils.py").read_text() == (SOLUTION / "hw4" / "utils.py").read_text()


def test_handout_states_every_tasks_points() -> None:
    """The handout's table gives each task the points the hidden suite awards."""
    check_handout_points(STARTER, SUITE)


_NAMES = docstring_names(SUITE)
