"""Generate datasets to disk once, skip them when already there, verify them by hashing.

Layout (contracts section 4): public arrays in `<root>/<name>/{split}_{key}.npy`, the hidden
arrays of the test split in `<hidden_root>/<name>/test_{key}.npy`.
`<hidden_root>/<name>/manifest.json` records, per split, the version and seed it was made
from and each file's sha256, size and mtime; a re-run trusts size + mtime (fast), `verify`
re-hashes everything. The public copy in `<root>/<name>/manifest.json` (workers can read it)
leaves out the hidden split's seed id and hidden files.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from coursedata.errors import DatasetError
from coursedata.images import CLASSES as IMAGE_CLASSES
from coursedata.images import SIZE as IMAGE_SIZE
from coursedata.paths import checksums_path, default_hidden_root, default_root
from coursedata.registry import PUBLIC_SEED, DatasetSpec, get_spec, seed_id, seed_to_int
from coursedata.sources import FolderSource, Source, configured_source

Progress = bool | Callable[[int], None]
PUBLIC = "public"  # the seed id recorded for train/valid
MANIFEST = "manifest.json"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 22), b""):
            digest.update(block)
    return digest.hexdigest()


def known_checksums() -> dict[str, Any]:
    """datasets/checksums.json: {name: {"version", "dev_seed_id", "files": {file: sha256}}}."""
    path = checksums_path()
    if not path.is_file():
        return {}
    return json.loads(path.read_text())


def generate(
    name: str,
    *,
    root: str | Path | None = None,
    hidden_root: str | Path | None = None,
    hidden_seed: int | str | None = None,
    progress: Progress = True,
    source: Source | None = None,
) -> None:
    """Make the splits of `name` that are missing or stale; without a seed, no test split.

    With a real-data `source` (default: the one configured in the sources file, if any)
    its files are installed instead of generated.
    """
    spec = get_spec(name)
    dirs = _Dirs(spec.name, root, hidden_root)
    manifest = _load_manifest(dirs)
    source = source if source is not None else configured_source(name)
    if source is not None:
        _install(spec, dirs, manifest, source)
        return
    todo = [
        (split, seed)
        for split, seed in _wanted_splits(spec, hidden_seed)
        if not _is_fresh(spec, dirs, manifest, split, _seed_label(seed))
    ]
    if not todo:
        if manifest["splits"]:
            _write_manifest(dirs, manifest)  # moves an older manifest's hidden record away
        return
    tick = _ticker(progress, sum(spec.split_sizes[s] for s, _ in todo), name)
    for split, seed in todo:
        manifest["splits"].pop(split, None)
        _write_manifest(dirs, manifest)  # a crash mid-split leaves it marked stale
        rng = spec.rng(split, PUBLIC_SEED if seed == PUBLIC else seed_to_int(seed))
        arrays = spec.build(spec.split_sizes[split], rng, tick)
        _record(spec, dirs, manifest, split, _seed_label(seed), arrays)


def _install(spec: DatasetSpec, dirs: _Dirs, manifest: dict[str, Any], source: Source) -> None:
    """Install every split from a real-data source (skipped when already installed)."""
    recorded = manifest["splits"]
    if recorded and all(_is_fresh(spec, dirs, manifest, split, source.key) for split in recorded):
        return
    if isinstance(source, FolderSource):
        if spec.name != "images":
            raise DatasetError(f"a folder source is only supported for images, not {spec.name!r}")
        files = source.arrays(IMAGE_CLASSES, IMAGE_SIZE)
    else:
        files = source.arrays(_split_files(spec))
    manifest["splits"] = {}
    for split in spec.split_sizes:
        arrays = {
            fname.removeprefix(f"{split}_").removesuffix(".npy"): array
            for fname, array in files.items()
            if fname.startswith(f"{split}_")
        }
        if arrays:
            _record(spec, dirs, manifest, split, source.key, arrays)


def _split_files(spec: DatasetSpec) -> set[str]:
    return {f"{split}_{key}.npy" for split in spec.split_sizes for key in spec.keys}


def _record(
    spec: DatasetSpec,
    dirs: _Dirs,
    manifest: dict[str, Any],
    split: str,
    seed_label: str,
    arrays: dict[str, np.ndarray],
) -> None:
    """Save one split's arrays (hidden ones under the hidden root) and note them."""
    files = {}
    for key, array in arrays.items():
        hidden = split == "test" and key in spec.hidden_keys
        path = (dirs.hidden if hidden else dirs.public) / f"{split}_{key}.npy"
        files[dirs.label(path)] = _save(path, array)
    manifest["splits"][split] = {"version": spec.version, "seed_id": seed_label, "files": files}
    _write_manifest(dirs, manifest)


def _seed_label(seed: Any) -> str:
    return PUBLIC if seed == PUBLIC else seed_id(seed)


def check(
    name: str,
    *,
    root: str | Path | None = None,
    hidden_root: str | Path | None = None,
    hidden_seed: int | str | None = None,
) -> list[str]:
    """Re-hash every file of `name`; return the problems found (empty when all is well)."""
    spec = get_spec(name)
    dirs = _Dirs(spec.name, root, hidden_root)
    manifest = _load_manifest(dirs)
    expected = known_checksums().get(name, {})
    problems = []
    source = configured_source(name)
    if source is not None:
        wanted = [(split, source.key) for split in manifest["splits"]] or [("train", source.key)]
    else:
        wanted = [(split, _seed_label(seed)) for split, seed in _wanted_splits(spec, hidden_seed)]
    for split, want_seed in wanted:
        entry = manifest["splits"].get(split)
        if entry is None or entry["version"] != spec.version or entry["seed_id"] != want_seed:
            problems.append(f"{name}/{split}: missing or stale; run `grader data {name}`")
            continue
        for label, meta in entry["files"].items():
            path = dirs.path(label)
            if not path.is_file():
                problems.append(f"{path}: missing")
                continue
            digest = sha256_file(path)
            recorded = _expected_sha(expected, spec, entry, label)
            if digest != meta["sha256"] or (recorded is not None and digest != recorded):
                problems.append(f"{path}: sha256 {digest[:12]}... does not match the record")
    return problems


def verify(name: str, **kwargs: Any) -> bool:
    """True when every split file of `name` exists and hashes to its recorded sha256."""
    return not check(name, **kwargs)


def _expected_sha(
    expected: dict[str, Any], spec: DatasetSpec, entry: dict[str, Any], label: str
) -> str | None:
    """The committed checksum for a file, if checksums.json knows this version and seed."""
    if expected.get("version") != spec.version:
        return None
    if entry["seed_id"] not in (PUBLIC, expected.get("dev_seed_id")):
        return None  # a custom hidden seed: only the manifest knows its files
    return expected.get("files", {}).get(label)


class _Dirs:
    def __init__(self, name: str, root: str | Path | None, hidden_root: str | Path | None):
        self.public = Path(root if root is not None else default_root()) / name
        if hidden_root is None:
            # An explicit `root` keeps its hidden files beside it (`<root>/../hidden`, as in
            # the default layout), never in the shared default folder the grader reads.
            hidden_root = default_hidden_root() if root is None else Path(root).parent / "hidden"
        self.hidden = Path(hidden_root) / name

    def label(self, path: Path) -> str:
        """`train_images.npy` for public files, `hidden/test_labels.npy` for hidden ones."""
        return path.name if path.parent == self.public else f"hidden/{path.name}"

    def path(self, label: str) -> Path:
        if label.startswith("hidden/"):
            return self.hidden / label.removeprefix("hidden/")
        return self.public / label


def _wanted_splits(spec: DatasetSpec, hidden_seed: int | str | None) -> list[tuple[str, Any]]:
    splits: list[tuple[str, Any]] = [(s, PUBLIC) for s in spec.split_sizes if s != "test"]
    if hidden_seed is not None:
        splits.append(("test", hidden_seed))
    return splits


def _is_fresh(
    spec: DatasetSpec, dirs: _Dirs, manifest: dict[str, Any], split: str, want_seed: str
) -> bool:
    """Cheap check: same version and seed, every file there with its recorded size and mtime."""
    entry = manifest["splits"].get(split)
    if entry is None or entry.get("version") != spec.version or entry.get("seed_id") != want_seed:
        return False
    expected = known_checksums().get(spec.name, {})
    for label, meta in entry["files"].items():
        try:
            st = dirs.path(label).stat()
        except OSError:
            return False
        if st.st_size != meta["size"] or st.st_mtime_ns != meta["mtime_ns"]:
            return False
        recorded = _expected_sha(expected, spec, entry, label)
        if recorded is not None and recorded != meta["sha256"]:
            return False  # made by an older generator: regenerate
    return True


def _save(path: Path, array: np.ndarray) -> dict[str, Any]:
    """Write atomically (np.save, never pickle) and return its manifest entry."""
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    np.save(buffer, np.ascontiguousarray(array), allow_pickle=False)
    data = buffer.getbuffer()
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    st = path.stat()
    digest = hashlib.sha256(data).hexdigest()
    return {"sha256": digest, "size": st.st_size, "mtime_ns": st.st_mtime_ns}


def _load_manifest(dirs: _Dirs) -> dict[str, Any]:
    """The full record: the hidden root's copy when it is readable (the grader), else the
    public one, which never mentions the hidden split's seed or hidden files. Without the
    public one the data counts as missing."""
    if not (dirs.public / MANIFEST).is_file():
        return {"splits": {}}
    for directory in (dirs.hidden, dirs.public):
        try:
            data = json.loads((directory / MANIFEST).read_text())
        except (OSError, ValueError):
            continue
        if isinstance(data.get("splits"), dict):
            return data
    return {"splits": {}}


def public_record(manifest: dict[str, Any]) -> dict[str, Any]:
    """The manifest minus the hidden split's fingerprints (its seed id, the hidden files):
    sandboxed workers read the public folder, and a seed id or a label file's sha256 lets
    them test guesses of the hidden seed offline."""
    splits = {}
    for split, entry in manifest["splits"].items():
        if entry.get("seed_id") in (PUBLIC, None):
            splits[split] = entry
            continue
        files = {k: v for k, v in entry["files"].items() if not k.startswith("hidden/")}
        splits[split] = {"version": entry["version"], "files": files}
    return {"splits": splits}


def _write_manifest(dirs: _Dirs, manifest: dict[str, Any]) -> None:
    hidden = any(e.get("seed_id") not in (PUBLIC, None) for e in manifest["splits"].values())
    if hidden:
        _write_json(dirs.hidden, manifest, mode=0o600)
    _write_json(dirs.public, public_record(manifest), mode=0o644)


def _write_json(directory: Path, data: dict[str, Any], *, mode: int) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    tmp = directory / f".{MANIFEST}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w") as fh:
        fh.write(json.dumps(data, indent=1, sort_keys=True) + "\n")
    os.chmod(tmp, mode)
    os.replace(tmp, directory / MANIFEST)


def _ticker(progress: Progress, total: int, name: str) -> Callable[[int], None] | None:
    if callable(progress):
        return progress
    if not progress:
        return None
    try:
        from tqdm import tqdm  # optional: coursedata itself needs only numpy and torch
    except ImportError:
        return None
    bar = tqdm(total=total, desc=name, unit="ex", leave=False)

    def tick(k: int) -> None:
        bar.update(k)
        if bar.n >= total:
            bar.close()

    return tick
