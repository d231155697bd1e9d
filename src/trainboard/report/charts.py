"""One run's chart set, as files: what `init(figures=N)` keeps up to date during training and
`trainboard plot RUN --all-charts -o DIR` writes afterwards.

The files (a chart whose metric the run lacks is not written):

    loss.png               train loss with its moving average, eval loss, best eval marked
    accuracy.png           accuracy (eval quality where higher is better)
    throughput.png         step time and throughput
    learning_rate.png      the learning-rate schedule
    loss_vs_accuracy.png   each eval's accuracy against the loss at that step, coloured by step
    recent.png             loss and speed over the last `recent` steps
    text_samples.png       the newest text samples as a table
    metrics_history.json   every point of every metric (the `trainboard export` JSON)
    text_samples.json      every text sample with its key and step

Every file is written beside its final name and moved into place (os.replace), so a reader
(a file browser, a sync job, a person refreshing an image) never sees half a file.
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import orjson

from trainboard.analysis.colors import run_color
from trainboard.report.drawing import (
    draw_panels,
    plain,
    require_matplotlib,
    save_figure,
    style_rc,
    temp_beside,
)
from trainboard.report.panels import DEFAULT_MAX_POINTS, SeriesCache, build_panels
from trainboard.report.roles import figure_keys
from trainboard.store.base import Store
from trainboard.store.records import RunRecord, TextRecord

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["CHART_FILES", "DEFAULT_RECENT", "DEFAULT_SMOOTH", "write_atomic", "write_charts"]

CHART_FILES = (
    "loss.png",
    "accuracy.png",
    "throughput.png",
    "learning_rate.png",
    "loss_vs_accuracy.png",
    "recent.png",
    "text_samples.png",
    "metrics_history.json",
    "text_samples.json",
)
DEFAULT_SMOOTH = 50  # steps in the loss chart's moving average
DEFAULT_RECENT = 200  # steps in the recent-performance window
_SIZE = (7.0, 4.2)
_TABLE_ROWS = 12


def write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to `path` through a temporary file in the same folder and os.replace."""
    tmp = temp_beside(path)
    try:
        with open(tmp, "xb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_charts(
    store: Store,
    run_id: str,
    folder: str | os.PathLike[str],
    *,
    smooth: int = DEFAULT_SMOOTH,
    recent: int = DEFAULT_RECENT,
    dpi: float = 100,
    style: str = "light",
    max_points: int = DEFAULT_MAX_POINTS,
) -> list[Path]:
    """Write the run's chart set into `folder` (made if missing); returns the files written."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    run = store.get_run(run_id)
    written: list[Path] = []

    def save(name: str, fig: Figure | None) -> None:
        if fig is not None:
            written.append(save_figure(fig, out / name, style))

    cache = SeriesCache(store, max_points, smooth)
    for name, panel in (
        ("loss.png", "loss"),
        ("accuracy.png", "accuracy"),
        ("throughput.png", "speed"),
        ("learning_rate.png", "learning_rate"),
    ):
        panels = build_panels(store, [run], only=[panel], cache=cache)
        if panels:
            save(name, draw_panels(panels, title=run.name, size=_SIZE, dpi=dpi, style=style))
    save("loss_vs_accuracy.png", loss_vs_accuracy(store, run, dpi=dpi, style=style))
    save("recent.png", recent_window(store, run, recent, smooth, dpi=dpi, style=style))
    texts = store.read_texts(run_id)
    if texts:
        save("text_samples.png", text_table(run, texts, dpi=dpi, style=style))
    written.append(_write_json(out / "metrics_history.json", _history(store, run_id)))
    samples = [
        {"key": t.key, "step": t.step, "wall_time": t.wall_time, "text": t.text} for t in texts
    ]
    written.append(_write_json(out / "text_samples.json", {"run": run_id, "samples": samples}))
    return written


def _history(store: Store, run_id: str) -> object:
    from trainboard.exporting import export_json

    return export_json(store, run_id)


def _write_json(path: Path, obj: object) -> Path:
    write_atomic(path, orjson.dumps(obj, option=orjson.OPT_INDENT_2) + b"\n")
    return path


def loss_vs_accuracy(
    store: Store, run: RunRecord, *, dpi: float = 100, style: str = "light"
) -> Figure | None:
    """Accuracy at each eval against the loss at that step (the eval loss when logged, else the
    train loss at or before it), coloured by step: where the two stop moving together shows."""
    fk = figure_keys(run.summary, dict(run.goals))
    loss_key = fk.eval_loss or fk.train_loss
    if not fk.accuracy or loss_key is None:
        return None
    acc = store.read_series(run.id, fk.accuracy[0])
    loss = store.read_series(run.id, loss_key)
    if len(acc) == 0 or len(loss) == 0:
        return None
    at = np.searchsorted(loss.steps, acc.steps, side="right") - 1
    ok = at >= 0
    x, y, steps = loss.values[at[ok]], acc.values[ok], acc.steps[ok]
    finite = np.isfinite(x) & np.isfinite(y)
    if not finite.any():
        return None
    import matplotlib
    from matplotlib.figure import Figure

    with matplotlib.rc_context(style_rc(style)):  # type: ignore[arg-type]
        fig = Figure(figsize=_SIZE, dpi=dpi, layout="constrained")
        ax = fig.subplots()
        pts = ax.scatter(x[finite], y[finite], c=steps[finite], cmap="viridis", s=28,
                         edgecolors=run_color(run.id), linewidths=0.6)  # fmt: skip
        fig.colorbar(pts, ax=ax, label="step")
        ax.set_title(plain(f"{fk.accuracy[0]} vs {loss_key}"), loc="left")
        ax.set_xlabel(plain(loss_key))
        ax.set_ylabel(plain(fk.accuracy[0]))
        fig.suptitle(plain(run.name), fontsize=12, fontweight="bold")
    return fig


def recent_window(
    store: Store, run: RunRecord, steps: int, smooth: int, *, dpi: float = 100, style: str = "light"
) -> Figure | None:
    """Loss and speed over the last `steps` steps only, so a late change is not flattened by
    the whole run's scale."""
    last = run.last_step
    if last is None:
        return None
    start = max(0, last - steps + 1)
    cache = SeriesCache(store, DEFAULT_MAX_POINTS, smooth, start=start)
    panels = build_panels(store, [run], only=["loss", "speed"], cache=cache)
    if not panels:
        return None
    for p in panels:
        p.marks = [m for m in p.marks if m.step >= start]
    title = f"{run.name}: last {last - start + 1} steps ({start}–{last})"
    return draw_panels(
        panels, title=title, size=(_SIZE[0] * len(panels) * 0.8, _SIZE[1]), dpi=dpi, style=style
    )


def text_table(
    run: RunRecord, texts: list[TextRecord], *, dpi: float = 100, style: str = "light"
) -> Figure:
    """The newest text samples (step, key, text), newest first, long texts wrapped and cut."""
    matplotlib = require_matplotlib()
    from matplotlib.figure import Figure

    newest = sorted(texts, key=lambda t: (t.step, t.wall_time), reverse=True)[:_TABLE_ROWS]
    rows = [[str(t.step), t.key, _cell(t.text)] for t in newest]
    with matplotlib.rc_context(style_rc(style)):
        height = 1.0 + 0.5 * (len(rows) + 1)
        fig = Figure(figsize=(10, height), dpi=dpi, layout="constrained")
        ax = fig.subplots()
        ax.axis("off")
        ax.set_title(f"Text samples ({len(texts)} in all, newest first)", loc="left")
        table = ax.table(
            cellText=rows,
            colLabels=["step", "key", "text"],
            colWidths=[0.09, 0.16, 0.75],
            cellLoc="left",
            loc="upper left",
        )
        table.auto_set_font_size(False)
        table.set_fontsize(8)
        theme = style_rc(style)
        for (r, _), cell in table.get_celld().items():
            cell.set_edgecolor(theme["grid.color"])
            cell.set_facecolor(theme["axes.facecolor"])
            cell.get_text().set_color(theme["text.color"])
            cell.get_text().set_parse_math(False)  # "$x$" in a sample is text, not math
            cell.set_height(1.0 / (len(rows) + 1))  # the rows fill the axes
            cell.PAD = 0.01
            if r == 0:
                cell.get_text().set_fontweight("bold")
        fig.suptitle(plain(run.name), fontsize=12, fontweight="bold")
    return fig


def _cell(text: str) -> str:
    """One table cell: whitespace collapsed, wrapped to two lines of 110 characters."""
    flat = " ".join(text.split())
    lines = textwrap.wrap(flat, 110, max_lines=2, placeholder=" …")
    return "\n".join(lines) or "(empty)"
