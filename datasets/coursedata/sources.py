"""Real data instead of an embedded generator: a downloadable archive or a local folder.

Configured per dataset in a JSON file, `$COURSEDATA_SOURCES` or `datasets/sources.json`:

    {"images": {"url": "https://.../images-v2.zip", "sha256": "<64 hex digits>"}}
    {"images": {"folder": "/data/karts"}}      # image files + labels.csv (file,label,split)

An archive (.zip, .tar, .tar.gz) holds the split files flat, named as the generator's
(`train_images.npy`, `test_labels.npy`, ...). Without a source the embedded generator is used.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import tarfile
import urllib.request
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from coursedata.errors import DatasetError
from coursedata.paths import sources_path

Fetcher = Callable[[str], bytes]
_MAX_MEMBER_BYTES = 2 << 30


def urllib_fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 - instructor config
        return response.read()


@dataclass(frozen=True)
class ArchiveSource:
    url: str
    sha256: str

    @property
    def key(self) -> str:
        return f"archive:{self.sha256[:16]}"

    def arrays(self, expected: set[str], fetch: Fetcher = urllib_fetch) -> dict[str, np.ndarray]:
        """Download, check the sha256, and return the expected split files' arrays."""
        try:
            data = fetch(self.url)
        except Exception as exc:  # urllib raises a zoo of types; all mean "unreachable"
            raise DatasetError(
                f"cannot download {self.url} ({type(exc).__name__}: {exc}); fetch it by hand "
                f"(expected sha256 {self.sha256}) or remove the entry to use the embedded data"
            ) from None
        digest = hashlib.sha256(data).hexdigest()
        if digest != self.sha256.lower():
            raise DatasetError(
                f"{self.url} has sha256 {digest}, expected {self.sha256}: the archive changed "
                "or is corrupt; fix the sha256 in the sources file only if you trust it"
            )
        return _read_archive(data, expected, self.url)


@dataclass(frozen=True)
class FolderSource:
    """Image files (PNG/JPEG, 64x64 RGB) with labels.csv: `file,label,split` rows."""

    path: Path

    @property
    def key(self) -> str:
        return f"folder:{hashlib.sha256(str(self.path.resolve()).encode()).hexdigest()[:16]}"

    def arrays(self, classes: tuple[str, ...], size: int) -> dict[str, np.ndarray]:
        table = self.path / "labels.csv"
        if not table.is_file():
            raise DatasetError(
                f"{table} not found: a folder source needs labels.csv (file,label,split)"
            )
        rows: dict[str, list[tuple[np.ndarray, int]]] = {}
        with open(table, newline="") as fh:
            for line, row in enumerate(csv.DictReader(fh), start=2):
                label = _class_index(row.get("label", ""), classes, table, line)
                split = (row.get("split") or "train").strip()
                if split not in ("train", "valid", "test"):
                    raise DatasetError(
                        f"{table}:{line}: split {split!r} is not train, valid or test"
                    )
                image = _read_image(self.path / row.get("file", ""), size)
                rows.setdefault(split, []).append((image, label))
        out = {}
        for split, items in rows.items():
            out[f"{split}_images.npy"] = np.stack([im for im, _ in items])
            out[f"{split}_labels.npy"] = np.array([lb for _, lb in items], dtype=np.int64)
        return out


Source = ArchiveSource | FolderSource


def configured_source(name: str) -> Source | None:
    """The source configured for `name`, or None for the embedded generator."""
    path = Path(os.environ.get("COURSEDATA_SOURCES") or sources_path())
    if not path.is_file():
        return None
    try:
        entry = json.loads(path.read_text()).get(name)
    except (ValueError, AttributeError) as exc:
        raise DatasetError(f"{path}: not a JSON object of dataset sources ({exc})") from None
    if entry is None:
        return None
    if isinstance(entry, dict) and "url" in entry and "sha256" in entry:
        return ArchiveSource(str(entry["url"]), str(entry["sha256"]))
    if isinstance(entry, dict) and "folder" in entry:
        return FolderSource((path.parent / str(entry["folder"])).resolve())
    raise DatasetError(f"{path}: entry {name!r} needs either url + sha256 or folder")


def _read_archive(data: bytes, expected: set[str], url: str) -> dict[str, np.ndarray]:
    """Only expected, flat, regular members are read; arrays load without pickle."""
    blobs: dict[str, bytes] = {}
    if zipfile.is_zipfile(io.BytesIO(data)):
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            for info in zf.infolist():
                if info.filename in expected and info.file_size < _MAX_MEMBER_BYTES:
                    blobs[info.filename] = zf.read(info)
    else:
        try:
            with tarfile.open(fileobj=io.BytesIO(data)) as tf:
                for member in tf.getmembers():
                    if (
                        member.isreg()
                        and member.name in expected
                        and member.size < _MAX_MEMBER_BYTES
                    ):
                        blobs[member.name] = tf.extractfile(member).read()  # type: ignore[union-attr]
        except tarfile.TarError:
            raise DatasetError(f"{url} is neither a zip nor a tar archive") from None
    missing = sorted(expected - set(blobs))
    if missing:
        raise DatasetError(f"{url} lacks {', '.join(missing)}")
    try:
        return {name: np.load(io.BytesIO(blob), allow_pickle=False) for name, blob in blobs.items()}
    except ValueError as exc:
        raise DatasetError(f"{url}: a member is not a plain .npy array ({exc})") from None


def _class_index(text: str, classes: tuple[str, ...], table: Path, line: int) -> int:
    text = text.strip()
    if text in classes:
        return classes.index(text)
    if text.isdigit() and int(text) < len(classes):
        return int(text)
    raise DatasetError(f"{table}:{line}: label {text!r} is not one of {', '.join(classes)}")


def _read_image(path: Path, size: int) -> np.ndarray:
    """uint8 (3, size, size) from an image file."""
    try:
        from PIL import Image  # optional: only folder sources of image files need it
    except ImportError:
        raise DatasetError("reading an image folder needs Pillow: pip install pillow") from None
    if path.is_symlink() or not path.is_file():
        raise DatasetError(f"{path}: not a regular image file")
    try:
        with Image.open(path) as im:
            rgb = im.convert("RGB")
    except OSError as exc:
        raise DatasetError(f"{path}: cannot read the image ({exc})") from None
    if rgb.size != (size, size):
        raise DatasetError(f"{path}: is {rgb.size[0]}x{rgb.size[1]}, expected {size}x{size}")
    return np.asarray(rgb, dtype=np.uint8).transpose(2, 0, 1).copy()
