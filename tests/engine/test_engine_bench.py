"""The bench runner's table and targets (the figures themselves come from `make bench`)."""

from __future__ import annotations

import json
from pathlib import Path

from grader.bench import Figure, areas, format_table, write_results


def test_targets_are_read_from_text_or_numbers() -> None:
    assert Figure("start", 80.0, "ms", "<= 100 ms").meets_target() is True
    assert Figure("start", 120.0, "ms", "<= 100 ms").meets_target() is False
    assert Figure("speed", 3.0, "MB/s", ">= 5 MB/s").meets_target() is False
    assert Figure("grade", 90.0, "s", 120.0).meets_target() is True
    assert Figure("grade", 90.0, "s", 120.0).target_text() == "<= 120 s"
    assert Figure("info", 1.0, "s").meets_target() is None


def test_table_and_json(tmp_path: Path) -> None:
    results = {
        "engine": [Figure("worker start", 150.0, "ms", "<= 100 ms"), Figure("zygote", 2.5, "s")],
        "data": "failed: OSError: no data",
    }
    table = format_table(results).splitlines()
    assert table[0].split() == ["area", "figure", "value", "target"]
    assert table[1].endswith("<= 100 ms  MISSED") and "150 ms" in table[1]
    assert table[3].startswith("data") and "failed: OSError" in table[3]
    out = tmp_path / "bench.json"
    write_results(results, out)
    data = json.loads(out.read_text())
    assert data["areas"]["engine"][0] == {
        "name": "worker start",
        "value": 150.0,
        "unit": "ms",
        "target": "<= 100 ms",
    }
    assert "engine" in areas()
