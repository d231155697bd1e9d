"""A comparison as one self-contained HTML page (no scripts, no external files).

Every string that reaches the page goes through `html.escape`: run names, config keys and
values, and the recommendation's reasons (which quote run names) are user-written text. The
curves are inline SVG written by matplotlib, which escapes the text it draws.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from html import escape
from typing import Any

from trainboard.analysis import format as fmt
from trainboard.analysis.compare import Comparison
from trainboard.analysis.rank import group_text
from trainboard.report.cells import comparison_table
from trainboard.report.cells import differ_text as _differ

__all__ = ["comparison_html"]

_CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:2rem;color:#1d2430}
table{border-collapse:collapse;margin:.5rem 0 1rem}
th,td{border:1px solid #d5dae1;padding:.3rem .6rem;text-align:right;white-space:nowrap}
th:first-child,td:first-child{text-align:left}
th{background:#f3f5f8}
td.best{background:#dff5e3;font-weight:600}
tr.warn td:first-child{color:#a35200}
.rec{border-left:4px solid #2f9e44;padding:.2rem 1rem;background:#f4fbf5}
code{background:#f3f5f8;padding:0 .2rem}
figure.curves{margin:.5rem 0 1.5rem}figure.curves svg{max-width:100%;height:auto}
figcaption{color:#5f6b7a;font-size:12px}
"""


def _e(v: Any) -> str:
    return escape(str(v), quote=True)


def _value(v: Any) -> str:
    if v is None:
        return fmt.UNKNOWN
    if isinstance(v, float):
        return fmt.number(v) if abs(v) < 1e-3 or abs(v) >= 1e6 else f"{v:g}"
    return str(v)


def _table(header: list[str], rows: list[str]) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def comparison_html(
    c: Comparison, title: str | None = None, figures: Sequence[tuple[str, str]] = ()
) -> str:
    """The page; `figures` are (caption, inline <svg>) pairs made by `report.drawing`."""
    title = title or f"Comparison of {len(c.runs)} runs"
    names = {r.id: r.name for r in c.runs}
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    better = "lower" if c.goal == "min" else "higher"
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{_e(title)}</h1>",
        f"<p>Deciding metric: <code>{_e(c.metric or '—')}</code> ({better} is better); warning "
        f"at more than {_e(f'{c.threshold_pct:g}')}% worse than the best. Made {_e(when)}.</p>",
        "<h2>Recommendation</h2>",
        '<div class="rec">',
    ]
    rec = c.recommendation
    if rec.run is not None:
        parts.append(f"<p><strong>Keep {_e(names[rec.run])}</strong> (<code>{_e(rec.run)}</code>)")
    else:
        parts.append("<p><strong>No recommendation</strong>")
    parts.append("</p><ul>" + "".join(f"<li>{_e(x)}</li>" for x in rec.reasons) + "</ul></div>")

    table = comparison_table(c)
    rows = []
    for run, cells in zip(table.runs, table.rows, strict=True):
        tds = "".join(
            f'<td class="best">{_e(x.text)}</td>' if x.best else f"<td>{_e(x.text)}</td>"
            for x in cells
        )
        rows.append(f'<tr class="warn">{tds}</tr>' if run.warning else f"<tr>{tds}</tr>")
    parts += ["<h2>Runs</h2>", _table(table.header, rows)]
    if figures:
        parts.append("<h2>Curves</h2>")
        for caption, svg in figures:
            parts.append(
                f'<figure class="curves">{svg}<figcaption>{_e(caption)}</figcaption></figure>'
            )

    diff = c.config_diff
    parts.append("<h2>Config differences</h2>")
    if diff.params:
        keys = list(diff.params)
        body = [
            "<tr><td>" + _e(r.name) + "</td>"
            + "".join(f"<td>{_e(_value(diff.params[k].get(r.id)))}</td>" for k in keys)
            + "</tr>"
            for r in c.runs
        ]  # fmt: skip
        parts.append(_table(["run", *keys], body))
    notes = [a.text for a in diff.associations] + ([diff.note] if diff.note else [])
    parts.append(
        f"<p>{_differ(len(diff.params), diff.same)}</p>"
        + ("<ul>" + "".join(f"<li>{_e(n)}</li>" for n in notes) + "</ul>" if notes else "")
    )
    if c.trends:
        parts.append("<h2>Improvement trend</h2><ul>")
        for group, trend in c.trends:
            parts.append(f"<li><strong>{_e(group_text(group))}</strong>: {_e(trend.text)}</li>")
        parts.append("</ul>")
    parts.append("</body></html>")
    return "\n".join(parts)
