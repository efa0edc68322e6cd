"""Homework 3 end to end: the reference earns every point, the starter none, common
mistakes (mutants of the reference) lose exactly the points meant to catch them, and the
public tests pass on the reference.

Only the reference grading trains a real model (about 1.5 minutes on an idle 2-core CPU);
the mutants are graded on the tests they target, and the one about train()'s return value
trains for no steps.
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
SOLUTION = ROOT / "solutions" / "hw3"
STARTER = ROOT / "assignments" / "hw3"
SUITE = ROOT / "grader" / "suites" / "hw3"

_LOOP_START = "    for epoch in range(epochs):\n"
_AFTER_LOOP = (SOLUTION / "hw3" / "train.py").read_text().split(_LOOP_START)[1]
_TRAIN_LOOP_OLD = _LOOP_START + _AFTER_LOOP.split("\n\n\ndef main")[0] + "\n"

# `loses`: hidden tests (pytest -k names) that must lose points; `keeps`: tests that must
# still pass, to show each check is aimed at the mistake and not at the whole task.
MUTANTS: list[tuple[Mutant, tuple[str, ...]]] = [
    # forgets model.eval() before returning; trains for no steps, the test reads the mode
    (
        Mutant(
            "bn_left_in_train_mode",
            "hw3/train.py",
            _TRAIN_LOOP_OLD,
            _TRAIN_LOOP_OLD.replace("range(epochs)", "range(0)").replace(
                "return model.eval()", "return model.train()"
            ),
            loses=("test_returned_in_eval_mode",),
            says="call model.eval() before returning",
        ),
        ("test_returns_a_cnn_classifier",),
    ),
    (
        Mutant(
            "downsample_only_for_channels",
            "hw3/models.py",
            "if stride != 1 or n_input != n_output:",
            "if n_input != n_output:",
            loses=("test_downsample_exactly_when_needed", "test_shape_stride_2"),
            says="the shape changes, so the block needs exactly one 1x1 conv",
        ),
        ("test_shape_stride_1",),
    ),
    # a real design (ReLU before the addition): loses only the test about the final ReLU
    (
        Mutant(
            "relu_before_addition",
            "hw3/models.py",
            "return torch.relu(self.net(x) + identity)",
            "return torch.relu(self.net(x)) + identity",
            loses=("test_identity_skip",),
            says="the final ReLU must come after the addition",
        ),
        (
            "test_shape_stride_1",
            "test_shape_stride_2",
            "test_downsample_exactly_when_needed",
            "test_downsample_skip",
            "test_gradient_through_skip",
        ),
    ),
    (
        Mutant(
            "main_path_ends_in_relu",
            "hw3/models.py",
            "            batch_norm(n_output),\n        )\n        self.stride",
            "            batch_norm(n_output),\n            nn.ReLU(),\n        )\n"
            "        self.stride",
            loses=("test_identity_skip",),
            says="main path ends in a ReLU before the addition",
        ),
        ("test_shape_stride_1", "test_downsample_skip", "test_gradient_through_skip"),
    ),
    (
        Mutant(
            "no_residual",
            "hw3/models.py",
            "return torch.relu(self.net(x) + identity)",
            "return torch.relu(self.net(x))",
            loses=("test_identity_skip", "test_downsample_skip", "test_gradient_through_skip"),
            says="add the input x itself (the identity skip)",
        ),
        ("test_shape_stride_1", "test_shape_stride_2", "test_downsample_exactly_when_needed"),
    ),
    (
        Mutant(
            "padding_zero",
            "hw3/models.py",
            "kernel_size=3, stride=stride, padding=1",
            "kernel_size=3, stride=stride, padding=0",
            loses=("test_shape_stride_1", "test_shape_stride_2", "test_output_shape"),
            says="must match the size",
        ),
        ("test_downsample_exactly_when_needed",),
    ),
    (
        Mutant(
            "augments_at_evaluation",
            "hw3/transforms.py",
            "return v2.Compose([v2.ToDtype(torch.float32, scale=True)])",
            "return train_transform()",
            loses=("test_valid_pipeline_is_deterministic",),
            says="no augmentation",
        ),
        ("test_train_pipeline_is_random",),
    ),
    (
        Mutant(
            "flatten_head",
            "hw3/models.py",
            "self.pool = nn.AdaptiveAvgPool2d(1)\n        self.head = nn.Linear(c, n_classes)",
            "self.pool = nn.Identity()\n        self.head = nn.Linear(c * 8 * 8, n_classes)",
            loses=("test_any_input_size",),
            says="global average pooling, not flattening",
        ),
        ("test_output_shape", "test_parameter_budget"),
    ),
    (
        Mutant(
            "block_ignores_stride",
            "hw3/models.py",
            "        super().__init__()\n        self.net = nn.Sequential(",
            "        super().__init__()\n        stride = 1\n        self.net = nn.Sequential(",
            loses=("test_shape_stride_2", "test_downsample_exactly_when_needed"),
            says="shape",
        ),
        ("test_shape_stride_1", "test_identity_skip"),
    ),
    (
        Mutant(
            "bn_without_running_stats",
            "hw3/models.py",
            "return nn.BatchNorm2d(n_channels)",
            "return nn.BatchNorm2d(n_channels, track_running_stats=False)",
            loses=("test_batch_norm_in_train_mode", "test_batch_norm_in_eval_mode"),
            says="running statistics",
        ),
        ("test_output_shape", "test_any_input_size"),
    ),
    (
        Mutant(
            "bias_before_batch_norm",
            "hw3/models.py",
            "padding=1, bias=False)",
            "padding=1, bias=True)",
            loses=("test_layers",),
            says="bias=False",
        ),
        ("test_identity_skip", "test_output_shape"),
    ),
    (
        Mutant(
            "sample_std",
            "hw3/transforms.py",
            "correction=0",
            "correction=1",
            loses=("test_channel_stats",),
            says="population std",
        ),
        (),
    ),
    (
        Mutant(
            "no_input_normalisation",
            "hw3/models.py",
            "        x = (x - self.input_mean[None, :, None, None])"
            " / self.input_std[None, :, None, None]\n",
            "",
            loses=("test_input_normalisation",),
            says="(x - input_mean) / input_std",
        ),
        ("test_output_shape",),
    ),
]


_BLOCK_START = "    def __init__(self, n_input: int, n_output: int, stride: int = 1) -> None:\n"
_BLOCK_BODY = (
    _BLOCK_START
    + (SOLUTION / "hw3" / "models.py")
    .read_text()
    .split(_BLOCK_START)[1]
    .split("\n\n\nclass CNNClassifier")[0]
)
# named layers, functional ReLUs and an nn.Identity skip instead of None and nn.Sequential
_NAMED_LAYERS_BLOCK = (
    _BLOCK_START
    + """        super().__init__()
        self.conv1 = conv3x3(n_input, n_output, stride)
        self.bn1 = nn.BatchNorm2d(n_output)
        self.conv2 = conv3x3(n_output, n_output, 1)
        self.bn2 = nn.BatchNorm2d(n_output)
        self.stride = stride
        self.skip: nn.Module = nn.Identity()
        if stride != 1 or n_input != n_output:
            self.skip = nn.Sequential(
                nn.Conv2d(n_input, n_output, 1, bias=False), nn.BatchNorm2d(n_output)
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = torch.nn.functional.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return torch.nn.functional.relu(out + self.skip(x[:, :, :: self.stride, :: self.stride]))"""
)

_TASKS_1_2 = (
    "test_shape_stride_1",
    "test_shape_stride_2",
    "test_downsample_exactly_when_needed",
    "test_identity_skip",
    "test_downsample_skip",
    "test_gradient_through_skip",
    "test_output_shape",
    "test_any_input_size",
    "test_layers",
    "test_parameter_budget",
    "test_input_normalisation",
    "test_batch_norm_in_train_mode",
    "test_batch_norm_in_eval_mode",
)

# Correct solutions written differently from the reference: each must keep every point of
# the (non-training) tests it touches.
ALTERNATIVES: list[Mutant] = [
    Mutant(
        "named_layers_functional_relu", "hw3/models.py", _BLOCK_BODY, _NAMED_LAYERS_BLOCK, loses=()
    ),
    # the handout's strided 1x1 conv written directly (fine without channels_last)
    Mutant(
        "strided_1x1_downsample",
        "hw3/models.py",
        "nn.Conv2d(n_input, n_output, kernel_size=1, bias=False)",
        "nn.Conv2d(n_input, n_output, kernel_size=1, stride=stride, bias=False)",
        loses=(),
    ),
]


def _keyword(names: tuple[str, ...]) -> str:
    return " or ".join(names)


@pytest.mark.slow
def test_reference_earns_every_point(graded) -> None:
    report = graded("hw3", SOLUTION)
    failed = {t.name: t.output for t in report.tests if t.status != "passed"}
    assert not failed, failed
    assert report.max_score == 100
    assert report.score == 100
    assert len(report.tests) >= 19


@pytest.mark.slow
def test_starter_earns_nothing_and_says_not_implemented(graded) -> None:
    report = graded("hw3", STARTER)
    assert report.score == 0
    for t in report.tests:
        expected = f"not implemented yet: {task_of(t.number)}"
        assert t.output.startswith(expected), (t.number, t.output)


@pytest.mark.slow
@pytest.mark.parametrize(("mutant", "keeps"), MUTANTS, ids=[m.name for m, _ in MUTANTS])
def test_mutant_loses_its_points(
    graded, tmp_path: Path, mutant: Mutant, keeps: tuple[str, ...]
) -> None:
    submission = make_mutant(SOLUTION, mutant, tmp_path / mutant.name)
    report = graded("hw3", submission, keyword=_keyword(mutant.loses + keeps))
    check_mutant_report(report, mutant, keeps, _NAMES)


@pytest.mark.slow
@pytest.mark.parametrize("alternative", ALTERNATIVES, ids=[m.name for m in ALTERNATIVES])
def test_correct_alternative_keeps_every_point(graded, tmp_path: Path, alternative: Mutant) -> None:
    submission = make_mutant(SOLUTION, alternative, tmp_path / alternative.name)
    if alternative.name == "strided_1x1_downsample":  # forward() must not slice as well
        models = submission / "hw3" / "models.py"
        models.write_text(
            models.read_text().replace(
                "self.downsample(x[:, :, :: self.stride, :: self.stride])", "self.downsample(x)"
            )
        )
    report = graded("hw3", submission, keyword=_keyword(_TASKS_1_2))
    check_mutant_report(report, alternative, _TASKS_1_2, _NAMES)


def test_public_tests_pass_on_the_reference() -> None:
    proc = run_public_tests(STARTER, SOLUTION)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]


def test_starter_keeps_the_solution_signatures() -> None:
    check_starter_signatures(STARTER, SOLUTION, "hw3")


def test_given_utils_are_identical() -> None:
    """utils.py is given complete: the starter's copy is the reference's."""
    assert (STARTER / "hw3" / "utils.py").read_text() == (SOLUTION / "hw3" / "utils.py").read_text()


def test_handout_states_every_tasks_points() -> None:
    """The handout's table gives each task the points the hidden suite awards."""
    check_handout_points(STARTER, SUITE)


_NAMES = docstring_names(SUITE)
