"""report.html: one static page a TA opens from the runs folder (no server, no network).

Score histogram and points lost per test (the PNGs beside it), a table sortable by any
column with a link to each student's feedback, what was skipped, and the run's
provenance. Every student-controlled string is cleaned and HTML-escaped.
"""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from grader.batch.text import html_text as esc

if TYPE_CHECKING:
    from grader.batch.gradebook import Row, Summary

HEADER_COLOR = "#23395d"  # the band at the top; the browser test looks for it

_STYLE = f"""
body {{ font: 14px/1.4 sans-serif; margin: 0; color: #222; background: #fff; }}
header {{ background: {HEADER_COLOR}; color: #fff; height: 56px; padding: 0 24px;
         display: flex; align-items: center; }}
header h1 {{ font-size: 20px; margin: 0; }}
main {{ padding: 12px 24px; }}
.plots img {{ width: 600px; height: 350px; margin-right: 12px; border: 1px solid #ddd; }}
table {{ border-collapse: collapse; margin: 8px 0 16px; }}
th, td {{ border: 1px solid #ccc; padding: 3px 8px; text-align: left; }}
th.sortable {{ cursor: pointer; background: #eef; }}
td.num {{ text-align: right; }}
tr.graded td.status {{ color: #1a7f37; }}
tr.failed td.status, tr.rejected td.status {{ color: #b42318; }}
"""

# Sorts by the cell's data-key (numbers numerically, blanks last).
_SCRIPT = """
document.querySelectorAll('th.sortable').forEach((th, col) => th.addEventListener('click', () => {
  const body = th.closest('table').tBodies[0];
  const dir = th.dataset.dir === 'asc' ? -1 : 1; th.dataset.dir = dir === 1 ? 'asc' : 'desc';
  const key = r => r.cells[col].dataset.key ?? r.cells[col].textContent;
  [...body.rows].sort((a, b) => {
    const x = key(a), y = key(b);
    if (x === '' || y === '') return (x === '') - (y === '');
    const nx = Number(x), ny = Number(y);
    return dir * (isNaN(nx) || isNaN(ny) ? x.localeCompare(y) : nx - ny);
  }).forEach(r => body.appendChild(r));
}));
"""


def render_report(
    rows: list[Row],
    columns: list[tuple[str, str, float]],
    summary: Summary,
    skipped: list[tuple[str, str]],
    provenance: dict[str, Any],
    out_dir: Path,
) -> str:
    homework = str(provenance.get("homework") or out_dir.name)
    scores = [r.score for r in rows if r.score is not None]
    counts = ", ".join(f"{n} {esc(status)}" for status, n in summary.counts.items() if n)
    stats = (
        f"mean {statistics.mean(scores):.2f}, median {statistics.median(scores):g}"
        if scores
        else "no graded submissions yet"
    )
    plots = "".join(
        f'<img src="{quote(p.relative_to(out_dir).as_posix())}" alt="{esc(p.stem)}">'
        for p in summary.plots
    )
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{esc(homework)}: batch report</title><style>{_STYLE}</style></head><body>",
        f"<header><h1>{esc(homework)}: batch grading report</h1></header><main>",
        f'<p id="counts">{len(rows)} submissions: {counts}. Scores: {stats}.</p>',
        f'<div class="plots">{plots}</div>',
        _students_table(rows, max_total=sum(m for _, _, m in columns)),
        _skipped(skipped),
        _corrupt(summary.corrupt),
        _provenance(provenance),
        f"</main><script>{_SCRIPT}</script></body></html>",
    ]
    return "\n".join(p for p in parts if p) + "\n"


def _students_table(rows: list[Row], *, max_total: float) -> str:
    head = ["student", "status", f"score (of {max_total:g})", "graded at", "attempts", "reason"]
    lines = [
        '<h2>Students</h2><table id="students"><thead><tr>',
        *(f'<th class="sortable">{esc(h)}</th>' for h in head),
        "<th>feedback</th></tr></thead><tbody>",
    ]
    for row in rows:
        entry = row.entry
        score = "" if row.score is None else f"{row.score:g}"
        feedback = f'<a href="feedback/{quote(row.feedback_name)}">feedback</a>' if entry else ""
        lines.append(
            f'<tr class="{esc(row.status.split()[0])}">'
            f"<td>{esc(row.student)}</td>"
            f'<td class="status">{esc(row.status)}</td>'
            f'<td class="num" data-key="{score}">{score}</td>'
            f"<td>{esc(entry.finished_at if entry else '')}</td>"
            f'<td class="num">{entry.attempts if entry else ""}</td>'
            f"<td>{esc(row.reason)}</td><td>{feedback}</td></tr>"
        )
    lines.append("</tbody></table>")
    return "".join(lines)


def _skipped(skipped: list[tuple[str, str]]) -> str:
    if not skipped:
        return ""
    items = "".join(f"<li><code>{esc(name)}</code>: {esc(why)}</li>" for name, why in skipped)
    return f'<h2>Skipped ({len(skipped)})</h2><ul id="skipped">{items}</ul>'


def _corrupt(corrupt: list[str]) -> str:
    if not corrupt:
        return ""
    items = "".join(f"<li>{esc(line)}</li>" for line in corrupt)
    return f"<h2>Unreadable journal entries (regraded by the next run)</h2><ul>{items}</ul>"


def _provenance(provenance: dict[str, Any]) -> str:
    if not provenance:
        return ""
    rows = "".join(
        f"<tr><th>{esc(str(k))}</th><td>{esc(str(v))}</td></tr>" for k, v in provenance.items()
    )
    return f'<h2>Provenance</h2><table id="provenance">{rows}</table>'
