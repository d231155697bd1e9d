"""The curves of a comparison report: the six-panel figure of the compared runs, as a PNG
beside a Markdown report or inline SVG inside an HTML page (one self-contained file)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from trainboard.report.drawing import figure, figure_svg, save_figure
from trainboard.store.base import Store

__all__ = ["CAPTION", "picture_path", "report_figures"]

CAPTION = (
    "Curves of the compared runs, each in its colour: loss (eval dashed, best eval starred), "
    "perplexity, accuracy, learning rate, gradient norm, step time and throughput; noisy "
    "curves as a moving average over their faint raw line."
)


def picture_path(report: str | os.PathLike[str]) -> Path:
    """Where a Markdown report's picture goes: report.md -> report-curves.png beside it."""
    p = Path(report)
    return p.with_name(f"{p.stem}-curves.png")


_SMOOTH_RUNS = 10  # beyond this many runs the raw lines are drawn as they are


def _smooth_window(store: Store, run_ids: Sequence[str]) -> int | None:
    """A moving average over 1% of the longest run, so overlaid noisy curves stay apart
    (each over its faint raw line); none for many runs, where reading every point costs."""
    if len(run_ids) > _SMOOTH_RUNS:
        return None
    last = max((store.get_run(r).last_step or 0 for r in run_ids), default=0)
    return max(5, last // 100) if last >= 200 else None


def report_figures(
    store: Store, run_ids: Sequence[str], fmt: str, report: str | os.PathLike[str]
) -> list[tuple[str, str]]:
    """(caption, picture) pairs for `report.render`: [] for CSV and JSON; for Markdown the
    PNG is written now and its name (relative to the report) returned; for HTML the SVG."""
    if fmt not in ("md", "html") or not run_ids:
        return []
    fig = figure(list(run_ids), store, smooth=_smooth_window(store, run_ids))
    if fmt == "html":
        return [(CAPTION, figure_svg(fig))]
    png = save_figure(fig, picture_path(report))
    return [(CAPTION, png.name)]
