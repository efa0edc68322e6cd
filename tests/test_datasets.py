"""coursedata: determinism (committed checksums), skip/verify, hidden split, loaders,
the sequence source's exact NLL, real-data sources, and the `grader data` CLI."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import coursedata
import numpy as np
import pytest
from coursedata import registry, sequences, sources, store

ROOT = Path(__file__).resolve().parents[1]
DEV_SEED = (ROOT / "grader" / "suites" / "hidden_seed.txt").read_text().strip()
TINY = {"images": 30, "segmentation": 12, "sequences": 40}


@pytest.fixture
def tiny(monkeypatch: pytest.MonkeyPatch) -> None:
    """Shrink every split so the logic tests run in a fraction of a second."""
    for name, spec in registry.SPECS.items():
        sizes = {split: TINY[name] for split in spec.split_sizes}
        monkeypatch.setitem(registry.SPECS, name, dataclasses.replace(spec, split_sizes=sizes))
    monkeypatch.setattr(store, "known_checksums", lambda: {})


@pytest.fixture
def dirs(tmp_path: Path) -> dict[str, Path]:
    return {"root": tmp_path / "data", "hidden_root": tmp_path / "hidden"}


@pytest.fixture(scope="module")
def full(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every dataset at full size with the dev seed, generated once for this module."""
    base = tmp_path_factory.mktemp("coursedata")
    out = {"root": base / "data", "hidden_root": base / "hidden"}
    for name in coursedata.DATASETS:
        coursedata.generate(name, hidden_seed=DEV_SEED, progress=False, **out)
    return out


# ---------------------------------------------------------------- full-size, committed


def test_checksums_match_committed(full: dict[str, Path]) -> None:
    """Byte-identical regeneration: every split file hashes to datasets/checksums.json."""
    recorded = json.loads((ROOT / "datasets" / "checksums.json").read_text())
    assert set(recorded) == set(coursedata.DATASETS)
    for name, entry in recorded.items():
        assert entry["version"] == registry.SPECS[name].version, f"{name}: bump checksums.json"
        assert entry["dev_seed_id"] == registry.seed_id(DEV_SEED)
        for label, sha in entry["files"].items():
            base = full["hidden_root"] if label.startswith("hidden/") else full["root"]
            path = base / name / label.removeprefix("hidden/")
            assert store.sha256_file(path) == sha, f"{name}/{label} differs from the record"
        assert coursedata.verify(name, hidden_seed=DEV_SEED, **full)


def test_cards_quote_the_committed_checksums() -> None:
    recorded = json.loads((ROOT / "datasets" / "checksums.json").read_text())
    for name, entry in recorded.items():
        card = (ROOT / "datasets" / f"{name}.md").read_text()
        for label, sha in entry["files"].items():
            assert sha in card, f"datasets/{name}.md lacks the sha256 of {label}"


def test_rerun_skips_quickly(full: dict[str, Path]) -> None:
    before = {p: p.stat().st_mtime_ns for p in full["root"].rglob("*.npy")}
    start = time.perf_counter()
    for name in coursedata.DATASETS:
        coursedata.generate(name, hidden_seed=DEV_SEED, progress=False, **full)
    assert time.perf_counter() - start < 1.0
    assert before == {p: p.stat().st_mtime_ns for p in full["root"].rglob("*.npy")}


def test_full_sizes_shapes_and_balance(full: dict[str, Path]) -> None:
    train = coursedata.ImageClassification(full["root"], "train")
    assert train.images.shape == (10_000, 3, 64, 64) and len(train.labels) == 10_000
    counts = np.bincount(train.labels.numpy(), minlength=6)
    assert counts.min() >= 1666 and counts.max() <= 1667
    image, label = train[0]
    assert image.dtype.__str__() == "torch.float32" and 0.0 <= float(image.min()) <= 1.0
    test = coursedata.ImageClassification(full["root"], "test", labels_root=full["hidden_root"])
    assert len(test) == 2000 and int(test.labels.min()) >= 0
    assert not (full["root"] / "images" / "test_labels.npy").exists()
    seg = coursedata.Segmentation(full["root"], "valid")
    freq = np.bincount(seg.masks.numpy().ravel(), minlength=5) / seg.masks.numel()
    assert freq[0] + freq[2] > 0.9 and (freq[[1, 3, 4]] > 0.001).all()  # imbalanced, all present
    assert not (full["root"] / "sequences" / "test_tokens.npy").exists()
    assert coursedata.Sequences(full["hidden_root"], "test").tokens.shape == (2000, 64)


# ---------------------------------------------------------------- store logic (tiny)


def test_no_seed_makes_no_test_split(tiny: None, dirs: dict[str, Path]) -> None:
    coursedata.generate("images", progress=False, **dirs)
    names = sorted(p.name for p in (dirs["root"] / "images").glob("*.npy"))
    assert names == ["train_images.npy", "train_labels.npy", "valid_images.npy", "valid_labels.npy"]
    assert not dirs["hidden_root"].exists()


def test_hidden_seed_changes_only_test(tiny: None, dirs: dict[str, Path]) -> None:
    coursedata.generate("images", hidden_seed="a", progress=False, **dirs)
    folder = dirs["root"] / "images"
    train = (folder / "train_images.npy").read_bytes()
    test_a = (folder / "test_images.npy").read_bytes()
    coursedata.generate("images", hidden_seed="b", progress=False, **dirs)
    assert (folder / "train_images.npy").read_bytes() == train
    assert (folder / "test_images.npy").read_bytes() != test_a
    assert coursedata.verify("images", hidden_seed="b", **dirs)
    assert not coursedata.verify("images", hidden_seed="a", **dirs)


def test_verify_finds_a_flipped_byte_and_generate_repairs_it(
    tiny: None, dirs: dict[str, Path]
) -> None:
    coursedata.generate("segmentation", hidden_seed=1, progress=False, **dirs)
    path = dirs["hidden_root"] / "segmentation" / "test_masks.npy"
    data = bytearray(path.read_bytes())
    data[-1] ^= 1
    path.write_bytes(bytes(data))
    problems = coursedata.check("segmentation", hidden_seed=1, **dirs)
    assert len(problems) == 1 and "test_masks.npy" in problems[0]
    coursedata.generate("segmentation", hidden_seed=1, progress=False, **dirs)  # size+mtime changed
    assert coursedata.verify("segmentation", hidden_seed=1, **dirs)


def test_same_seed_same_bytes(tiny: None, tmp_path: Path) -> None:
    for sub in ("a", "b"):
        coursedata.generate("images", root=tmp_path / sub / "data", hidden_seed=5, progress=False)
    # the hidden labels land beside the explicit root, not in the shared datasets/hidden
    assert (tmp_path / "a" / "hidden" / "images" / "test_labels.npy").is_file()
    for name in ("train_images.npy", "test_images.npy"):
        assert (tmp_path / "a/data/images" / name).read_bytes() == (
            tmp_path / "b/data/images" / name
        ).read_bytes()


def test_unknown_names_are_one_line_errors(tmp_path: Path) -> None:
    with pytest.raises(coursedata.DatasetError, match="unknown dataset 'nope'"):
        coursedata.generate("nope", root=tmp_path)
    with pytest.raises(coursedata.DatasetError, match="not found: run `make data`"):
        coursedata.ImageClassification(tmp_path, "train")
    with pytest.raises(coursedata.DatasetError, match="unknown split"):
        coursedata.ImageClassification(tmp_path, "dev")


# ---------------------------------------------------------------- sequences


def test_optimal_nll_is_exact_and_beats_a_bigram() -> None:
    rng = np.random.Generator(np.random.PCG64(0))
    tokens = sequences.generate(3000, rng)["tokens"]
    nll = coursedata.optimal_nll(tokens)
    assert np.isfinite(nll).all()
    assert np.allclose(nll[:, 0], np.log(4))  # the mode digit is uniform
    entropy = coursedata.source_entropy(tokens)
    assert abs(nll.mean() - entropy.mean()) < 0.03  # same expectation
    train, valid = tokens[:2000].astype(int), tokens[2000:].astype(int)
    v = len(coursedata.VOCAB)
    counts = np.full((v, v), 0.1)
    np.add.at(counts, (train[:, :-1], train[:, 1:]), 1)
    bigram = -np.log((counts / counts.sum(1, keepdims=True))[valid[:, :-1], valid[:, 1:]]).mean()
    assert bigram > nll[2000:, 1:].mean() + 0.25


def test_optimal_nll_of_an_impossible_character_is_inf() -> None:
    row = np.array([[coursedata.VOCAB.index(c) for c in "0a(b]"]], dtype=np.uint8)
    nll = coursedata.optimal_nll(row)
    assert np.isfinite(nll[0, :4]).all() and np.isinf(nll[0, 4])  # "]" cannot close "("


# ---------------------------------------------------------------- real-data sources


def _npy(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=False)
    return buf.getvalue()


def test_archive_source_installs_checked_files(tiny: None, dirs: dict[str, Path]) -> None:
    spec = registry.get_spec("sequences")
    payload = io.BytesIO()
    with zipfile.ZipFile(payload, "w") as zf:
        for split in spec.split_sizes:
            zf.writestr(f"{split}_tokens.npy", _npy(np.full((3, 8), 9, dtype=np.uint8)))
    data = payload.getvalue()
    src = sources.ArchiveSource("file:///course/seq.zip", hashlib.sha256(data).hexdigest())
    fetched: list[str] = []
    fake = src.arrays  # bind a fetcher that never touches the network
    src_with_fetch = type(
        "S",
        (),
        {
            "key": src.key,
            "arrays": lambda self, exp: fake(exp, fetch=lambda url: fetched.append(url) or data),
        },
    )()
    store._install(
        spec,
        store._Dirs("sequences", dirs["root"], dirs["hidden_root"]),
        {"splits": {}},
        src_with_fetch,
    )  # type: ignore[arg-type]
    assert fetched == ["file:///course/seq.zip"]
    assert np.load(dirs["root"] / "sequences" / "train_tokens.npy").shape == (3, 8)
    assert (dirs["hidden_root"] / "sequences" / "test_tokens.npy").is_file()


def test_archive_mismatch_and_offline_are_one_line_errors(tmp_path: Path) -> None:
    archive = tmp_path / "a.zip"
    archive.write_bytes(b"not what was promised")
    src = sources.ArchiveSource(archive.as_uri(), "0" * 64)
    with pytest.raises(coursedata.DatasetError) as mismatch:
        src.arrays({"train_tokens.npy"})  # urllib reads the file:// URL: no network
    assert archive.as_uri() in str(mismatch.value) and "0" * 64 in str(mismatch.value)
    assert "\n" not in str(mismatch.value)

    def offline(url: str) -> bytes:
        raise OSError("network is unreachable")

    with pytest.raises(coursedata.DatasetError, match="cannot download .*expected sha256 0{64}"):
        src.arrays({"train_tokens.npy"}, fetch=offline)


def test_folder_source_reads_images_and_labels(
    tmp_path: Path, dirs: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    from PIL import Image

    folder = tmp_path / "karts"
    folder.mkdir()
    rows = ["file,label,split"]
    for i, (label, split) in enumerate([("kart", "train"), ("bomb", "train"), ("3", "valid")]):
        Image.new("RGB", (64, 64), (i * 40, 0, 0)).save(folder / f"{i}.png")
        rows.append(f"{i}.png,{label},{split}")
    (folder / "labels.csv").write_text("\n".join(rows) + "\n")
    config = tmp_path / "sources.json"
    config.write_text(json.dumps({"images": {"folder": "karts"}}))
    monkeypatch.setenv("COURSEDATA_SOURCES", str(config))
    coursedata.generate("images", progress=False, **dirs)
    train = coursedata.ImageClassification(dirs["root"], "train")
    assert train.labels.tolist() == [1, 4] and int(train.images[1, 0, 0, 0]) == 40
    assert coursedata.ImageClassification(dirs["root"], "valid").labels.tolist() == [3]
    assert coursedata.verify("images", **dirs)
    (folder / "labels.csv").write_text("file,label,split\n0.png,dragon,train\n")
    (dirs["root"] / "images" / "manifest.json").unlink()
    with pytest.raises(coursedata.DatasetError, match="'dragon' is not one of"):
        coursedata.generate("images", progress=False, **dirs)


# ---------------------------------------------------------------- packaging and CLI


def test_coursedata_needs_no_grader_and_is_not_datasets(tmp_path: Path) -> None:
    assert not (ROOT / "datasets" / "__init__.py").exists()  # never a regular `datasets`
    code = (
        "import sys, importlib.util, coursedata; coursedata.generate; "
        "assert not any(m == 'grader' or m.startswith('grader.') for m in sys.modules); "
        "assert 'torch' not in sys.modules; "
        "spec = importlib.util.find_spec('datasets'); "
        f"assert spec is None or {str(ROOT / 'datasets')!r} not in str(spec.origin)"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=tmp_path)


def test_cli_unknown_dataset_is_one_line(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "COURSEDATA_DIR": str(tmp_path / "d"),
        "COURSEDATA_HIDDEN_DIR": str(tmp_path / "h"),
    }
    proc = subprocess.run(
        [sys.executable, "-m", "grader", "data", "nope"], env=env, capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "unknown dataset 'nope'" in proc.stderr
    proc = subprocess.run(
        [sys.executable, "-m", "grader", "data", "images", "--verify"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 1 and "images: FAILED" in proc.stdout
