"""grader.layout: the project facts stated once (seed, ignore list, dataset stems)."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader import layout
from grader.errors import GraderError


@pytest.mark.parametrize("dataset", ["images", "segmentation", "sequences"])
def test_dataset_stems_come_from_the_registry_and_match_training(dataset: str) -> None:
    from grader.training import INPUT_STEMS, TARGET_STEMS

    assert layout.dataset_stems(dataset) == (INPUT_STEMS[dataset], TARGET_STEMS[dataset])
    with pytest.raises(GraderError, match="unknown dataset 'imagez'"):
        layout.dataset_stems("imagez")


def test_the_hidden_seed_is_read_one_way(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(layout.HIDDEN_SEED_ENV, raising=False)
    assert layout.hidden_seed(tmp_path, required=False) is None
    with pytest.raises(GraderError, match="no hidden seed"):
        layout.hidden_seed(tmp_path)
    layout.hidden_seed_file(tmp_path).parent.mkdir(parents=True)
    layout.hidden_seed_file(tmp_path).write_text("two words\n")
    for required in (True, False):  # a bad seed is an error even where one is optional
        with pytest.raises(GraderError, match="one word of printable ASCII"):
            layout.hidden_seed(tmp_path, required=required)
    monkeypatch.setenv(layout.HIDDEN_SEED_ENV, "s3cret")
    assert layout.hidden_seed(tmp_path) == "s3cret"


def test_one_ignore_list(tmp_path: Path) -> None:
    for name in ("__pycache__", ".git", "runs", "hw1.egg-info"):
        (tmp_path / name).mkdir()
    for name in ("a.pyc", "model.pt", "x.npy", "models.py"):
        (tmp_path / name).write_text("")
    ignored = layout.ignore_patterns()(str(tmp_path), sorted(p.name for p in tmp_path.iterdir()))
    assert sorted(p.name for p in tmp_path.iterdir() if p.name not in ignored) == ["models.py"]


def test_only_the_engine_imports_the_sandbox() -> None:
    """The layering (CLI -> API -> engine -> worker): grader.sandbox has one client."""
    import ast

    root = Path(layout.__file__).parent  # grader/
    offenders = []
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root).parts
        if relative[0] in ("sandbox", "engine"):
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            if any(n == "grader.sandbox" or n.startswith("grader.sandbox.") for n in names):
                offenders.append(f"{path.relative_to(root.parent)}:{node.lineno}")
    assert not offenders, f"import the sandbox through grader.engine.sandboxing: {offenders}"
