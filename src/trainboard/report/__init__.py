"""Comparison reports: CSV, JSON, Markdown and HTML from one `Comparison`.

`render(comparison, "md")` is what the CLI (`compare --format`, `report -o`) and the API
(`/api/v1/compare.csv`, `.md`) call, so every export of a comparison is the same text.

`figure(runs)` is the six-panel matplotlib figure (`trainboard plot`); matplotlib is imported
only when it is called.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

import orjson

from trainboard.analysis.compare import Comparison
from trainboard.errors import UsageError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["FORMATS", "ReportFormat", "figure", "format_for_path", "render"]

ReportFormat = Literal["csv", "json", "md", "html"]
FORMATS: tuple[ReportFormat, ...] = ("csv", "json", "md", "html")
_SUFFIXES: dict[str, ReportFormat] = {
    ".csv": "csv", ".json": "json", ".md": "md", ".markdown": "md", ".html": "html", ".htm": "html",
}  # fmt: skip


def render(
    c: Comparison, fmt: str, title: str | None = None, figures: Sequence[tuple[str, str]] = ()
) -> str:
    """The comparison as text in `fmt` (csv, json, md, html).

    `figures`: (caption, picture) pairs shown under "Curves": for Markdown the picture is a
    path relative to the report (a PNG beside it), for HTML an inline <svg> element. CSV and
    JSON carry no pictures."""
    if fmt == "csv":
        from trainboard.report.cells import comparison_csv

        return comparison_csv(c)
    if fmt == "json":
        return orjson.dumps(c.to_json(), option=orjson.OPT_INDENT_2).decode() + "\n"
    if fmt == "md":
        from trainboard.report.markdown import comparison_markdown

        return comparison_markdown(c, title, figures)
    if fmt == "html":
        from trainboard.report.html import comparison_html

        return comparison_html(c, title, figures)
    raise UsageError(f"report format must be one of {', '.join(FORMATS)}, got {fmt!r}")


def format_for_path(path: str) -> ReportFormat:
    """The format a file name asks for: report.md, report.html, table.csv, data.json."""
    for suffix, fmt in _SUFFIXES.items():
        if path.lower().endswith(suffix):
            return fmt
    raise UsageError(
        f"cannot tell the report format from {path!r}: expected a name ending in "
        + ", ".join(_SUFFIXES)
    )


def figure(runs: Any, store: Any = None, **options: Any) -> Figure:
    """The six-panel figure of `runs` (see `trainboard.report.drawing.figure`)."""
    from trainboard.report.drawing import figure as _figure

    return _figure(runs, store, **options)
