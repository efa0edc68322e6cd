"""Reading TensorBoard event files written by the student's code, in the trusted parent.

Event files are TFRecord streams of `Event` protobufs: for each record a little-endian
uint64 length, a uint32 CRC of it, the payload, a uint32 CRC of the payload. Protobuf
parsing builds plain messages (no code runs, unlike pickle). The reader walks the log
directory without following links, reads regular files only, and stops at size caps, so
a hostile log_dir cannot make the grader read elsewhere or exhaust its memory.
"""

from __future__ import annotations

import math
import os
import struct
from dataclasses import dataclass, field
from pathlib import Path

from tensorboard.compat.proto import event_pb2

from grader.suitekit import InvalidValue, read_worker_file

MAX_TOTAL_BYTES = 32 << 20  # all event files together
MAX_FILES = 64
MAX_DEPTH = 4
_HEADER = struct.Struct("<QI")  # length, CRC of the length


@dataclass
class Scalars:
    """tag -> list of (step, value) in the order they were written."""

    series: dict[str, list[tuple[int, float]]] = field(default_factory=dict)

    def steps(self, tag: str) -> list[int]:
        return [step for step, _ in self.series.get(tag, [])]

    def values(self, tag: str) -> list[float]:
        return [value for _, value in self.series.get(tag, [])]


def _event_files(log_dir: Path) -> list[Path]:
    """Regular files named events.out.tfevents.* under log_dir, links never followed."""
    found: list[Path] = []
    pending = [(log_dir, 0)]
    while pending:
        folder, depth = pending.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.is_symlink():
                    continue
                if entry.is_dir(follow_symlinks=False) and depth < MAX_DEPTH:
                    pending.append((Path(entry.path), depth + 1))
                elif entry.is_file(follow_symlinks=False) and "tfevents" in entry.name:
                    found.append(Path(entry.path))
                if len(found) > MAX_FILES:
                    raise InvalidValue(f"the log folder holds more than {MAX_FILES} event files")
    return sorted(found)


def _records(data: bytes) -> list[bytes]:
    """The payloads of a TFRecord stream; a truncated last record (a live writer) is dropped."""
    out, offset = [], 0
    while offset + _HEADER.size <= len(data):
        (length, _crc) = _HEADER.unpack_from(data, offset)
        start = offset + _HEADER.size
        if start + length + 4 > len(data):
            break
        out.append(data[start : start + length])
        offset = start + length + 4
    return out


def _scalar(value: event_pb2.Summary.Value) -> float | None:
    if value.HasField("simple_value"):
        return float(value.simple_value)
    if value.HasField("tensor") and value.tensor.float_val:
        return float(value.tensor.float_val[0])
    if value.HasField("tensor") and value.tensor.double_val:
        return float(value.tensor.double_val[0])
    if value.HasField("tensor") and len(value.tensor.tensor_content) == 4:
        return float(struct.unpack("<f", value.tensor.tensor_content)[0])
    return None


def read_scalars(log_dir: Path) -> Scalars:
    """Every scalar in the event files under `log_dir`, by tag, in file then write order."""
    scalars = Scalars()
    log_dir = Path(log_dir)
    budget = MAX_TOTAL_BYTES
    for path in _event_files(log_dir):
        if budget <= 0:
            raise InvalidValue(f"the TensorBoard logs are larger than {MAX_TOTAL_BYTES >> 20} MiB")
        # no link followed anywhere below log_dir, a regular file, at most `budget` bytes
        data = read_worker_file(path, max_bytes=budget, root=log_dir)
        budget -= len(data)
        for payload in _records(data):
            event = event_pb2.Event()
            try:
                event.ParseFromString(payload)
            except Exception:  # noqa: BLE001 - a corrupt record is skipped, not trusted
                continue
            if not event.HasField("summary"):
                continue
            for value in event.summary.value:
                number = _scalar(value)
                if number is not None:
                    scalars.series.setdefault(value.tag, []).append((int(event.step), number))
    return scalars


def all_finite(values: list[float]) -> bool:
    return all(math.isfinite(v) for v in values)
