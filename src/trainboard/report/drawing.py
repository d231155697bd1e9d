"""The six-panel figure: `trainboard.report.figure(runs)` and `trainboard plot`.

Drawn with matplotlib's object API on the Agg canvas (no pyplot: no global figure state, so a
background thread may draw while a notebook draws too). matplotlib is imported when a figure is
made, never by `import trainboard`.

What goes on the panels is decided in `report.panels`; here it is only drawn: each run in its
own colour (`analysis.colors`, the colour it has in the web UI), eval curves dashed, the best
eval loss starred, a moving average solid over a faint raw line when asked. Panels without
data are left out and the grid closes up (five panels take a 2×3 grid with one cell removed).
"""

from __future__ import annotations

import io
import os
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from trainboard.errors import UsageError
from trainboard.report.panels import DEFAULT_MAX_POINTS, PANELS, Line, Panel, build_panels
from trainboard.store.base import Store
from trainboard.store.records import RunRecord

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "FIGURE_FORMATS",
    "STYLES",
    "Style",
    "draw_panels",
    "figure",
    "figure_svg",
    "parse_size",
    "plain",
    "require_matplotlib",
    "save_figure",
    "style_rc",
    "temp_beside",
]

Style = Literal["light", "dark"]
STYLES: tuple[Style, ...] = ("light", "dark")
FIGURE_FORMATS = ("png", "pdf", "svg")

_THEMES: dict[str, dict[str, str]] = {
    "light": {"bg": "#ffffff", "fg": "#1d2430", "grid": "#e3e7ec", "muted": "#5f6b7a"},
    "dark": {"bg": "#14181d", "fg": "#d5dae1", "grid": "#2c333b", "muted": "#8a95a3"},
}


def style_rc(style: str) -> dict[str, Any]:
    """matplotlib rc settings of a style (light or dark)."""
    if style not in _THEMES:
        raise UsageError(f"figure: style must be one of {', '.join(STYLES)}, got {style!r}")
    t = _THEMES[style]
    return {
        "figure.facecolor": t["bg"],
        "axes.facecolor": t["bg"],
        "savefig.facecolor": t["bg"],
        "axes.edgecolor": t["muted"],
        "axes.labelcolor": t["fg"],
        "axes.titlecolor": t["fg"],
        "text.color": t["fg"],
        "xtick.color": t["muted"],
        "ytick.color": t["muted"],
        "grid.color": t["grid"],
        "axes.grid": True,
        "grid.linewidth": 0.8,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "legend.frameon": False,
        "legend.fontsize": 8,
        "axes.titlesize": 11,
        "axes.titleweight": "bold",
        "axes.labelsize": 9,
        "xtick.labelsize": 8,
        "ytick.labelsize": 8,
        "font.family": "DejaVu Sans",
        "svg.fonttype": "none",  # text stays text in SVG (searchable, smaller)
        "svg.hashsalt": "trainboard",  # stable ids: the same figure gives the same bytes
        "axes.formatter.limits": (-4, 5),
        "axes.formatter.use_mathtext": True,
    }


def parse_size(text: str | None) -> tuple[float, float] | None:
    """ "12x7" (inches) -> (12.0, 7.0); None stays None."""
    if text is None:
        return None
    parts = text.lower().replace("×", "x").split("x")
    try:
        w, h = (float(p) for p in parts)
    except ValueError:
        raise UsageError(
            f"figure: size must be WIDTHxHEIGHT in inches, like 12x7, got {text!r}"
        ) from None
    if not (0 < w <= 100 and 0 < h <= 100):
        raise UsageError(f"figure: size must be between 0 and 100 inches each way, got {text!r}")
    return w, h


def plain(text: str) -> str:
    """User text (run names, keys) as matplotlib shows it literally: a "$" would start math."""
    return text.replace("$", r"\$")


def _grid(n: int) -> tuple[int, int]:
    return {1: (1, 1), 2: (1, 2), 3: (1, 3), 4: (2, 2)}.get(n, (2, 3))


def require_matplotlib() -> Any:
    """matplotlib, or an error that says how to install it (it is the `report` extra)."""
    try:
        import matplotlib
    except ImportError:
        raise UsageError("figures need matplotlib: pip install 'trainboard[report]'") from None
    return matplotlib


@contextmanager
def _mpl(style: str) -> Iterator[Any]:
    matplotlib = require_matplotlib()
    with matplotlib.rc_context(style_rc(style)):
        yield matplotlib


def _draw_line(ax: Axes, line: Line, label: str | None) -> None:
    ls = "--" if line.dashed else "-"
    few = line.steps.size <= 60
    if line.smooth is not None:
        ax.plot(line.steps, line.values, ls, color=line.color, alpha=0.28, linewidth=0.9)
        ax.plot(line.steps, line.smooth, ls, color=line.color, linewidth=1.7, label=label)
    else:
        ax.plot(
            line.steps, line.values, ls, color=line.color, linewidth=1.4, label=label,
            marker="o" if few and line.dashed else None, markersize=3,
        )  # fmt: skip


def _label(line: Line, several: bool) -> str:
    return plain(f"{line.run.name} · {line.label}" if several else line.label)


def _draw_panel(ax: Axes, panel: Panel, several: bool, muted: str) -> None:
    ax.set_title(plain(panel.title), loc="left")
    ax.set_xlabel("step")
    ax.set_ylabel(plain(panel.ylabel))
    twin: Axes | None = None
    for line in panel.lines:
        target = ax
        if line.right:
            if twin is None:
                twin = ax.twinx()
                twin.grid(False)
                twin.spines["right"].set_visible(True)
                twin.set_ylabel(plain(panel.ylabel_right or ""))
            target = twin
        _draw_line(target, line, _label(line, several))
    for m in panel.marks:
        ax.plot([m.step], [m.value], marker="*", markersize=13, color=m.color,
                markeredgecolor=muted, linestyle="none", label=plain(m.text), zorder=5)  # fmt: skip
        ax.axvline(m.step, color=m.color, linestyle=":", linewidth=1.0, alpha=0.8)
    handles, labels = ax.get_legend_handles_labels()
    if twin is not None:
        h2, l2 = twin.get_legend_handles_labels()
        handles, labels = handles + h2, labels + l2
    if several:  # runs are named once, in the figure's legend; here only what each style is
        handles, labels = _style_legend(panel, muted)
    if handles and len(handles) <= 8:
        ax.legend(handles, labels, loc="best")


def _style_legend(panel: Panel, muted: str) -> tuple[list[Any], list[str]]:
    """Legend entries for a panel of several runs: each key once in its line style (muted),
    and the best-eval marks when there are few."""
    from matplotlib.lines import Line2D

    handles: list[Any] = []
    labels: list[str] = []
    for key, dashed in dict.fromkeys((ln.label, ln.dashed) for ln in panel.lines):
        handles.append(Line2D([], [], color=muted, linestyle="--" if dashed else "-"))
        labels.append(plain(key))
    if panel.marks and len(panel.marks) <= 3:
        handles.append(Line2D([], [], color=muted, marker="*", markersize=10, linestyle="none"))
        labels.append("best eval")
    return handles, labels


def _run_legend(fig: Figure, panels: Sequence[Panel]) -> None:
    """One entry per run in its colour, under the panels."""
    from matplotlib.lines import Line2D

    runs = {ln.run.id: ln for p in panels for ln in p.lines}
    if len(runs) > 24:
        return  # a legend of more runs would be taller than the panels
    handles = [Line2D([], [], color=ln.color, linewidth=2.5) for ln in runs.values()]
    labels = [plain(ln.run.name) for ln in runs.values()]
    fig.legend(handles, labels, loc="outside lower center", ncols=min(len(runs), 6), fontsize=9)


def draw_panels(
    panels: Sequence[Panel],
    *,
    title: str | None = None,
    size: tuple[float, float] | None = None,
    dpi: float = 100,
    style: str = "light",
) -> Figure:
    """A Figure with `panels` on a grid that fits their number."""
    with _mpl(style):
        from matplotlib.figure import Figure

        n = max(1, len(panels))
        rows, cols = _grid(n)
        fig = Figure(figsize=size or (5.2 * cols, 3.7 * rows + 0.5), dpi=dpi, layout="constrained")
        axes = fig.subplots(rows, cols, squeeze=False).ravel()
        several = len({ln.run.id for p in panels for ln in p.lines}) > 1
        muted = _THEMES[style]["muted"]
        for ax, panel in zip(axes, panels, strict=False):
            _draw_panel(ax, panel, several, muted)
        for ax in axes[len(panels) :]:
            ax.remove()
        if several:
            _run_legend(fig, panels)
        if not panels:
            fig.text(0.5, 0.5, "no metrics to draw", ha="center", va="center")
        if title:
            fig.suptitle(plain(title), fontsize=13, fontweight="bold")
    return fig


def _as_records(store: Store, runs: Sequence[Any]) -> list[RunRecord]:
    out: list[RunRecord] = []
    for r in runs:
        if isinstance(r, RunRecord):
            out.append(store.get_run(r.id))  # fresh summary
        elif isinstance(r, str):
            out.append(store.get_run(r))
        elif isinstance(getattr(r, "id", None), str):
            if callable(getattr(r, "flush", None)):
                r.flush(5.0)  # an SDK run: what it logged so far is drawn
            out.append(store.get_run(r.id))
        else:
            raise UsageError(
                f"figure: runs must be run ids, RunRecords or runs, got {type(r).__name__}"
            )
    return out


def _default_title(runs: Sequence[RunRecord]) -> str:
    if len(runs) == 1:
        r = runs[0]
        return f"{r.name} ({r.model})" if r.model else r.name
    return (
        f"{len(runs)} runs: "
        + ", ".join(r.name for r in runs[:4])
        + (" …" if len(runs) > 4 else "")
    )


def figure(
    runs: Any,
    store: Store | str | None = None,
    *,
    smooth: int | None = None,
    size: tuple[float, float] | None = None,
    dpi: float = 100,
    style: str = "light",
    title: str | None = None,
    panels: Sequence[str] = PANELS,
    max_points: int = DEFAULT_MAX_POINTS,
) -> Figure:
    """The six-panel figure of one run or several overlaid, as a matplotlib Figure.

    `runs`: a run id, an SDK run, or a list of them. `store`: a Store or store URL (default:
    the run's own store, else the configured one). `smooth=N` adds an N-step moving average
    over each raw line. Panels a run lacks are left out."""
    if isinstance(runs, str | RunRecord) or hasattr(runs, "id"):
        runs = [runs]
    runs = list(runs)
    if not runs:
        raise UsageError("figure: give at least one run")
    if smooth is not None and (
        isinstance(smooth, bool) or not isinstance(smooth, int) or smooth < 1
    ):
        raise UsageError(f"figure: smooth must be a positive number of steps, got {smooth!r}")
    style_rc(style)
    own = not isinstance(store, Store)
    s = store if isinstance(store, Store) else _open(store, runs)
    try:
        records = _as_records(s, runs)
        built = build_panels(s, records, max_points=max_points, smooth=smooth, only=panels)
    finally:
        if own:
            s.close()
    return draw_panels(
        built, title=title or _default_title(records), size=size, dpi=dpi, style=style
    )


def _open(store: str | None, runs: Sequence[Any]) -> Store:
    from trainboard.store import open_store

    if store is None:
        url = getattr(runs[0], "store_url", None)
        store = url if isinstance(url, str) else None
    return open_store(store)


def format_of(path: str | os.PathLike[str]) -> str:
    fmt = Path(path).suffix.lower().lstrip(".")
    if fmt not in FIGURE_FORMATS:
        raise UsageError(
            f"figure: cannot tell the format of {str(path)!r}: the name must end in "
            + ", ".join(f".{f}" for f in FIGURE_FORMATS)
        )
    return fmt


def temp_beside(path: Path) -> Path:
    """A fresh temporary name in `path`'s folder (same file system, so os.replace is atomic);
    made with the user's usual permissions, unlike mkstemp's 0600."""
    return path.parent / f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp"


def save_figure(fig: Figure, path: str | os.PathLike[str], style: str = "light") -> Path:
    """Write `fig` to `path` (png, pdf or svg from the name), atomically: the file is written
    beside its final name and moved into place, so a reader never sees half a picture."""
    fmt = format_of(path)
    dest = Path(path)
    tmp = temp_beside(dest)
    try:
        with open(tmp, "xb") as f, _mpl(style):
            fig.savefig(f, format=fmt, metadata=_metadata(fmt))
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return dest


def _metadata(fmt: str) -> dict[str, Any]:
    # No creation dates: the same figure gives the same bytes (tests, caches, diffs).
    if fmt == "png":
        return {"Software": "trainboard"}
    if fmt == "pdf":
        return {"Creator": "trainboard", "CreationDate": None}
    return {"Creator": "trainboard", "Date": None}


def figure_svg(fig: Figure, style: str = "light") -> str:
    """`fig` as an <svg> element to put inline in an HTML page (no XML prolog, no DOCTYPE)."""
    buf = io.StringIO()
    with _mpl(style):
        fig.savefig(buf, format="svg", metadata=_metadata("svg"))
    text = buf.getvalue()
    return text[text.index("<svg") :]
