"""A comparison as a Markdown report: recommendation, table, config differences, trend.

Everything shown comes from `analysis.compare.Comparison`; user-written text (run names,
config values) is escaped so a "|" in a name cannot break the table.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from trainboard.analysis import format as fmt
from trainboard.analysis.compare import Comparison
from trainboard.analysis.rank import group_text
from trainboard.report.cells import comparison_table
from trainboard.report.cells import differ_text as _differ

__all__ = ["comparison_markdown", "md_escape"]


def md_escape(text: Any) -> str:
    """Text safe inside a Markdown table cell (pipes, newlines, backticks, HTML brackets)."""
    s = str(text)
    for a, b in (("\\", "\\\\"), ("|", "\\|"), ("`", "\\`"), ("<", "&lt;"), (">", "&gt;")):
        s = s.replace(a, b)
    return " ".join(s.splitlines())


def _md_path(path: str) -> str:
    """A relative link target: spaces and parentheses would end it early."""
    return path.replace(" ", "%20").replace("(", "%28").replace(")", "%29")


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return out


def _value(v: Any) -> str:
    if v is None:
        return fmt.UNKNOWN
    if isinstance(v, float):
        return fmt.number(v) if abs(v) < 1e-3 or abs(v) >= 1e6 else f"{v:g}"
    return md_escape(v)


def comparison_markdown(
    c: Comparison, title: str | None = None, figures: Sequence[tuple[str, str]] = ()
) -> str:
    """The report; `figures` are (caption, image path relative to the report) pairs."""
    names = {r.id: r.name for r in c.runs}
    lines = [f"# {md_escape(title or f'Comparison of {len(c.runs)} runs')}", ""]
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    metric = c.metric or "—"
    lines += [
        f"Deciding metric: `{metric}` ({'lower' if c.goal == 'min' else 'higher'} is better); "
        f"warning at more than {c.threshold_pct:g}% worse than the best. Made {when}.",
        "",
        "## Recommendation",
        "",
    ]
    rec = c.recommendation
    if rec.run is not None:
        lines.append(f"**Keep {md_escape(names[rec.run])}** (`{rec.run}`):")
    else:
        lines.append("**No recommendation:**")
    lines += [""] + [f"- {md_escape(reason)}" for reason in rec.reasons] + [""]

    table = comparison_table(c)
    rows = []
    for cells in table.rows:
        rows.append([f"**{md_escape(x.text)}**" if x.best else md_escape(x.text) for x in cells])
    lines += ["## Runs", "", *_table(table.header, rows), ""]
    lines.append("Bold: the best value of a column. 🏆 the recommended run, ⚠ more than the "
                 "threshold worse.")  # fmt: skip
    lines.append("")
    if figures:
        lines += ["## Curves", ""]
        for caption, path in figures:
            lines += [f"![{md_escape(caption)}]({_md_path(path)})", ""]

    diff = c.config_diff
    lines += ["## Config differences", ""]
    if diff.params:
        keys = list(diff.params)
        body = [
            [md_escape(r.name), *(_value(diff.params[k].get(r.id)) for k in keys)] for r in c.runs
        ]
        lines += _table(["run", *(md_escape(k) for k in keys)], body)
        lines.append("")
    lines.append(f"{_differ(len(diff.params), diff.same)}")
    lines += [f"- {md_escape(a.text)}" for a in diff.associations]
    if diff.note:
        lines.append(f"- {md_escape(diff.note)}")
    lines.append("")

    if c.trends:
        lines += ["## Improvement trend", ""]
        for group, trend in c.trends:
            lines.append(f"- **{md_escape(group_text(group))}**: {md_escape(trend.text)}")
        lines.append("")
    return "\n".join(lines)
