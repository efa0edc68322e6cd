"""grader.suitekit: the one import of the hidden suites, and its generic `predict`."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import torch

import grader.suitekit.prediction as kit_predict
from grader.errors import InvalidValue
from grader.suitekit import predict

SUITES = Path(__file__).resolve().parents[1] / "grader" / "suites"
KIT_MODULES = {
    "grader.checks", "grader.scoring", "grader.training", "grader.batchnorm", "grader.engine",
    "grader.sandbox", "gradescope_utils.autograder_utils.decorators",
}  # fmt: skip


def test_suites_import_the_grader_through_the_kit() -> None:
    stray = []
    for path in sorted(SUITES.glob("*/*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module in KIT_MODULES:
                stray.append(f"{path.relative_to(SUITES)}: from {node.module}")
    assert not stray, stray


@pytest.mark.parametrize(
    ("shape", "class_dim", "expected"),
    [((4, 3), 1, (4,)), ((4, 3, 5, 5), 1, (4, 5, 5)), ((4, 7, 11), -1, (4, 7))],
)
def test_predict_takes_the_class_along_the_given_dim(
    monkeypatch: pytest.MonkeyPatch, shape, class_dim: int, expected
) -> None:
    logits = torch.randn(*shape)
    seen = {}

    def fake_predict_split(trained, dataset, split, **kwargs):
        seen.update(kwargs)
        return logits

    monkeypatch.setattr(kit_predict, "predict_split", fake_predict_split)
    out = predict(object(), "images", class_dim=class_dim, scale=0.5)  # type: ignore[arg-type]
    assert out.shape == expected and torch.equal(out, logits.argmax(dim=class_dim))
    assert seen["output"] == "logits" and seen["scale"] == 0.5


def test_predict_refuses_answers_without_a_class_dim(monkeypatch: pytest.MonkeyPatch) -> None:
    for bad in (torch.zeros(4, dtype=torch.int64), torch.zeros(4)):
        monkeypatch.setattr(kit_predict, "predict_split", lambda *a, bad=bad, **k: bad)
        with pytest.raises(InvalidValue, match="expected floating-point logits"):
            predict(object())  # type: ignore[arg-type]
    monkeypatch.setattr(kit_predict, "predict_split", lambda *a, **k: torch.zeros(4, 3))
    with pytest.raises(InvalidValue, match="no class dimension 2"):
        predict(object(), class_dim=2)  # type: ignore[arg-type]
