"""`python -m grader.bench [--only AREA]`: the project's speed figures, one module per area.

Each module `grader/bench/<area>.py` defines `run() -> list[Figure]`, or raises `Skipped`
when this machine cannot measure it (no GPU). The runner prints a table and writes every
figure to `.grader/bench-results.json`.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

__all__ = ["Figure", "Skipped", "areas", "format_table", "run_areas", "write_results"]


@dataclass(frozen=True)
class Figure:
    name: str  # "worker start (fork of the zygote), median"
    value: float
    unit: str  # "ms", "s", "MB/s"
    target: str | float | None = None  # "<= 100 ms"; a bare number means "at most this"

    def target_text(self) -> str:
        if self.target is None:
            return ""
        if isinstance(self.target, str):
            return self.target
        return f"<= {self.target:g} {self.unit}"

    def meets_target(self) -> bool | None:
        """True/False against a numeric or "<= N" / ">= N" target; None if there is none."""
        if self.target is None:
            return None
        text = self.target if isinstance(self.target, str) else f"<= {self.target}"
        op, _, rest = text.strip().partition(" ")
        try:
            bound = float(rest.split()[0])
        except (ValueError, IndexError):
            return None
        if op == "<=":
            return self.value <= bound
        if op == ">=":
            return self.value >= bound
        return None


class Skipped(Exception):
    """An area that cannot run on this machine; its message is the line the table shows."""


def areas() -> list[str]:
    """Names of the bench modules (every module here except this package's own)."""
    here = Path(__file__).resolve().parent
    return sorted(m.name for m in pkgutil.iter_modules([str(here)]) if not m.name.startswith("_"))


def run_areas(only: list[str] | None = None) -> dict[str, list[Figure] | Skipped | str]:
    """area -> its figures, the reason it was skipped, or the one-line error that stopped it."""
    results: dict[str, list[Figure] | Skipped | str] = {}
    for area in areas():
        if only and area not in only:
            continue
        module = importlib.import_module(f"grader.bench.{area}")
        run: Callable[[], list[Figure]] | None = getattr(module, "run", None)
        if run is None:
            continue
        try:
            results[area] = run()
        except Skipped as skip:
            results[area] = skip
        except Exception as exc:  # noqa: BLE001 - one broken area must not hide the others
            results[area] = f"failed: {type(exc).__name__}: {exc}"
    return results


def format_table(results: dict[str, list[Figure] | Skipped | str]) -> str:
    rows = [("area", "figure", "value", "target", "")]
    for area, figures in results.items():
        if isinstance(figures, (str, Skipped)):
            rows.append((area, str(figures), "", "", ""))
            continue
        for f in figures:
            met = f.meets_target()
            mark = "" if met is None else ("ok" if met else "MISSED")
            rows.append((area, f.name, f"{f.value:g} {f.unit}", f.target_text(), mark))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows
    )


def _as_json(result: list[Figure] | Skipped | str) -> object:
    if isinstance(result, Skipped):
        return {"skipped": str(result)}
    return result if isinstance(result, str) else [asdict(x) for x in result]


def write_results(results: dict[str, list[Figure] | Skipped | str], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "areas": {a: _as_json(r) for a, r in results.items()},
    }
    path.write_text(json.dumps(data, indent=2) + "\n")
