"""Record the sha256 of every split file: `python -m coursedata.checksums SEED_FILE`.

Regenerates each dataset into a temporary directory (train/valid from the public seed,
test from the dev hidden seed read from SEED_FILE), writes datasets/checksums.json and
rewrites the block between `<!-- checksums -->` and `<!-- /checksums -->` in each card.
Run it after bumping a dataset's VERSION.
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
from pathlib import Path
from typing import Any

from coursedata import store
from coursedata.paths import checksums_path
from coursedata.registry import DATASETS, get_spec, seed_id

_BLOCK = re.compile(r"<!-- checksums -->.*?<!-- /checksums -->", re.S)


def compute(hidden_seed: str) -> dict[str, Any]:
    """{name: {"version", "dev_seed_id", "files": {label: sha256}}} from a fresh generation."""
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in DATASETS:
            root = Path(tmp) / "data"
            store.generate(
                name,
                root=root,
                hidden_root=Path(tmp) / "hidden",
                hidden_seed=hidden_seed,
                progress=False,
            )
            manifest = json.loads((root / name / store.MANIFEST).read_text())
            files = {
                label: meta["sha256"]
                for split in manifest["splits"].values()
                for label, meta in split["files"].items()
            }
            out[name] = {
                "version": get_spec(name).version,
                "dev_seed_id": seed_id(hidden_seed),
                "files": dict(sorted(files.items())),
            }
    return out


def card_block(entry: dict[str, Any]) -> str:
    lines = ["<!-- checksums -->", "", "| file | sha256 |", "|---|---|"]
    lines += [f"| `{label}` | `{sha}` |" for label, sha in entry["files"].items()]
    return "\n".join(lines + ["", "<!-- /checksums -->"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "seed_file", type=Path, help="the dev hidden seed (grader/suites/hidden_seed.txt)"
    )
    args = parser.parse_args()
    recorded = compute(args.seed_file.read_text().strip())
    checksums_path().write_text(json.dumps(recorded, indent=2) + "\n")
    for name, entry in recorded.items():
        card = checksums_path().parent / f"{name}.md"
        if card.is_file():
            card.write_text(_BLOCK.sub(lambda _, e=entry: card_block(e), card.read_text()))
    print(f"wrote {checksums_path()}")


if __name__ == "__main__":
    main()
