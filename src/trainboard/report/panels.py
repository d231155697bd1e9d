"""What the six-panel figure shows, as data: which panels, which lines, which marks.

This module reads the store and decides; `report.figure` only draws. Keeping the two apart
lets the tests check a figure's content (every panel, every line, the best-eval mark) and lets
the per-run chart set (`report.charts`) reuse the same reads.

The panels, in order: loss (train and eval, the best eval step marked), perplexity, accuracy,
learning rate, gradient norm, step time and throughput. Which key fills a panel is asked of
the roles vocabulary, so any naming works. A panel no run has data for is left out.

Perplexity: a logged perplexity when a run has one, else exp(loss) of the run's losses (the
number `compare`'s "final perplexity" shows). Step time and throughput: logged ones when a
run has them; else the step time from the train loss's wall times and tokens/s from the
cumulative token count, each over spans of several points (never a single noisy interval).

Series are read downsampled (min/max buckets keep spikes), so a million points per line cost
what two thousand do. With a moving average the raw series is read once, averaged, and then
reduced the same way, so the average covers every point and not the buckets.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from trainboard.analysis.colors import assign_colors, run_color
from trainboard.analysis.smoothing import moving_average
from trainboard.report.roles import FigureKeys, figure_keys, is_eval
from trainboard.store.base import Store
from trainboard.store.codec.downsample import bucket_indices
from trainboard.store.records import RunRecord

__all__ = [
    "DEFAULT_MAX_POINTS",
    "PANELS",
    "Line",
    "Mark",
    "Panel",
    "SeriesCache",
    "build_panels",
]

PANELS = ("loss", "perplexity", "accuracy", "learning_rate", "grad_norm", "speed")
DEFAULT_MAX_POINTS = 2000  # per line: more than a figure's width in pixels
_RATE_SPANS = 200  # derived rates: at most this many spans over a run

F64 = npt.NDArray[np.float64]


@dataclass
class Line:
    """One curve: a run's key (or a number derived from it) on one panel."""

    run: RunRecord
    key: str  # the metric key, or "exp(<key>)", "step time", "<key>/s" for derived ones
    steps: F64
    values: F64
    color: str
    dashed: bool = False  # eval/validation curves are dashed, train curves solid
    smooth: F64 | None = None  # the moving average at the same steps
    right: bool = False  # drawn on the panel's second y axis
    derived: bool = False

    @property
    def label(self) -> str:
        return self.key


@dataclass
class Mark:
    """A point called out on a panel (the best eval loss)."""

    run: RunRecord
    step: int
    value: float
    text: str
    color: str


@dataclass
class Panel:
    name: str  # one of PANELS
    title: str
    ylabel: str
    lines: list[Line] = field(default_factory=list)
    marks: list[Mark] = field(default_factory=list)
    ylabel_right: str | None = None


class SeriesCache:
    """Reads each (run, key) once per figure, downsampled to `max_points` for drawing; with
    `smooth` the moving average is computed over the full series first."""

    def __init__(
        self, store: Store, max_points: int, smooth: int | None, start: int | None = None
    ) -> None:
        self.store = store
        self.max_points = max_points
        self.smooth = smooth
        self.start = start  # only steps >= start (the recent-performance window)
        self._cache: dict[tuple[str, str], tuple[F64, F64, F64, F64 | None]] = {}

    def get(self, run_id: str, key: str) -> tuple[F64, F64, F64, F64 | None]:
        """(steps, wall_times, values, moving average or None), step order."""
        hit = self._cache.get((run_id, key))
        if hit is not None:
            return hit
        if self.smooth:
            s = self.store.read_series(run_id, key, start=self.start)
            ma = moving_average(s.steps, s.values, self.smooth)
            steps, times, values = s.steps, s.times, s.values
            if len(s) > self.max_points:
                idx = _union(
                    bucket_indices(steps, values, self.max_points),
                    bucket_indices(steps, ma, self.max_points),
                )
                steps, times, values, ma = steps[idx], times[idx], values[idx], ma[idx]
            out: tuple[F64, F64, F64, F64 | None] = (steps.astype(np.float64), times, values, ma)
        else:
            s = self.store.read_series(run_id, key, max_points=self.max_points, start=self.start)
            out = (s.steps.astype(np.float64), s.times, s.values, None)
        self._cache[(run_id, key)] = out
        return out


def _union(a: npt.NDArray[np.int64], b: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    return np.union1d(a, b)


def _line(
    cache: SeriesCache, run: RunRecord, key: str, right: bool = False, smooth: bool = True
) -> Line | None:
    steps, _, values, ma = cache.get(run.id, key)
    if steps.size == 0:
        return None
    dashed = is_eval(key, dict(run.goals))
    return Line(run, key, steps, values, run_color(run.id), dashed, ma if smooth else None, right)


def _rate(steps: F64, times: F64, values: F64, per: str) -> tuple[F64, F64] | None:
    """A rate over spans of several points: per="step" gives seconds per step (values
    ignored), per="second" gives Δvalue / Δtime (a cumulative count's rate)."""
    ok = np.isfinite(times) & (np.isfinite(values) if per == "second" else True)
    s, t, v = steps[ok], times[ok], values[ok]
    if s.size < 3:
        return None
    stride = max(1, math.ceil((s.size - 1) / _RATE_SPANS))
    idx = np.unique(np.append(np.arange(0, s.size, stride), s.size - 1))
    ds, dt = np.diff(s[idx]), np.diff(t[idx])
    num, den = (dt, ds) if per == "step" else (np.diff(v[idx]), dt)
    good = (den > 0) & (num >= 0)
    if not good.any():
        return None
    x = s[idx][1:][good]
    return x, num[good] / den[good]


def _loss_panel(
    cache: SeriesCache, runs: Sequence[RunRecord], keys: dict[str, FigureKeys]
) -> Panel:
    p = Panel("loss", "Loss", "loss")
    for r in runs:
        fk = keys[r.id]
        for k in (fk.train_loss, fk.eval_loss):
            line = _line(cache, r, k) if k else None
            if line is not None:
                p.lines.append(line)
        best = _best_eval(r, fk.eval_loss)
        if best is not None:
            p.marks.append(best)
    return p


def _best_eval(run: RunRecord, key: str | None) -> Mark | None:
    """The lowest eval loss (exact, from the run's summary: downsampling cannot move it)."""
    m = run.summary.get(key) if key else None
    if m is None or not math.isfinite(m.min):
        return None
    return Mark(
        run, m.min_step, m.min, f"best {key} {m.min:.4g} @ step {m.min_step}", run_color(run.id)
    )


def _perplexity_panel(
    cache: SeriesCache, runs: Sequence[RunRecord], keys: dict[str, FigureKeys]
) -> Panel:
    p = Panel("perplexity", "Perplexity", "perplexity")
    logged = any(keys[r.id].perplexity for r in runs)
    for r in runs:
        fk = keys[r.id]
        if logged:
            for k in fk.perplexity:
                line = _line(cache, r, k)
                if line is not None:
                    p.lines.append(line)
            continue
        for lk in (fk.train_loss, fk.eval_loss):
            line = _line(cache, r, lk) if lk else None
            if line is None:
                continue
            with np.errstate(over="ignore", invalid="ignore"):
                line.values = np.exp(line.values)
                line.smooth = None if line.smooth is None else np.exp(line.smooth)
            line.key, line.derived = f"exp({lk})", True
            p.lines.append(line)
    if not logged and p.lines:
        p.title = "Perplexity (exp of loss)"
    return p


def _single_panel(
    name: str,
    title: str,
    cache: SeriesCache,
    runs: Sequence[RunRecord],
    pick: dict[str, tuple[str, ...]],
) -> Panel:
    p = Panel(name, title, title.lower())
    for r in runs:
        for k in pick[r.id]:
            # a schedule is not noise: the learning rate is never smoothed
            line = _line(cache, r, k, smooth=name != "learning_rate")
            if line is not None:
                p.lines.append(line)
    if len({ln.key for ln in p.lines}) == 1:
        p.ylabel = p.lines[0].key
    return p


def _speed_panel(
    cache: SeriesCache, runs: Sequence[RunRecord], keys: dict[str, FigureKeys]
) -> Panel:
    p = Panel("speed", "Step time and throughput", "seconds per step")
    for r in runs:
        fk = keys[r.id]
        color = run_color(r.id)
        if fk.step_time:
            line = _line(cache, r, fk.step_time)
            if line is not None:
                p.lines.append(line)
        elif fk.train_loss:
            steps, times, values, _ = cache.get(r.id, fk.train_loss)
            rate = _rate(steps, times, values, "step")
            if rate is not None:
                p.lines.append(Line(r, "step time (s)", *rate, color, derived=True))
        if fk.throughput:
            line = _line(cache, r, fk.throughput, right=True)
            if line is not None:
                line.dashed = True
                p.lines.append(line)
        elif fk.tokens:
            steps, times, values, _ = cache.get(r.id, fk.tokens)
            rate = _rate(steps, times, values, "second")
            if rate is not None:
                p.lines.append(
                    Line(r, f"{fk.tokens}/s", *rate, color, dashed=True, right=True, derived=True)
                )
    left = [ln for ln in p.lines if not ln.right]
    right = [ln for ln in p.lines if ln.right]
    if left and right:
        p.ylabel = left[0].key if len({ln.key for ln in left}) == 1 else "step time"
        p.ylabel_right = right[0].key if len({ln.key for ln in right}) == 1 else "throughput"
    elif right:  # throughput only: it takes the main axis
        for ln in right:
            ln.right = False
        p.title, p.ylabel = "Throughput", right[0].key
    elif left:
        p.title, p.ylabel = "Step time", left[0].key
    return p


def build_panels(
    store: Store,
    runs: Sequence[RunRecord],
    *,
    max_points: int = DEFAULT_MAX_POINTS,
    smooth: int | None = None,
    only: Sequence[str] = PANELS,
    cache: SeriesCache | None = None,
) -> list[Panel]:
    """The panels of `only` (in PANELS order) that at least one of `runs` has data for."""
    for name in only:
        if name not in PANELS:
            raise ValueError(f"figure: panel must be one of {', '.join(PANELS)}, got {name!r}")
    cache = cache or SeriesCache(store, max_points, smooth)
    keys = {r.id: figure_keys(r.summary, dict(r.goals)) for r in runs}
    out: list[Panel] = []
    for name in PANELS:
        if name not in only:
            continue
        if name == "loss":
            p = _loss_panel(cache, runs, keys)
        elif name == "perplexity":
            p = _perplexity_panel(cache, runs, keys)
        elif name == "accuracy":
            acc = {r.id: keys[r.id].accuracy for r in runs}
            p = _single_panel("accuracy", _quality_title(acc), cache, runs, acc)
        elif name == "learning_rate":
            lr = {r.id: _one(keys[r.id].learning_rate) for r in runs}
            p = _single_panel("learning_rate", "Learning rate", cache, runs, lr)
        elif name == "grad_norm":
            gn = {r.id: _one(keys[r.id].grad_norm) for r in runs}
            p = _single_panel("grad_norm", "Gradient norm", cache, runs, gn)
        else:
            p = _speed_panel(cache, runs, keys)
        if p.lines:
            out.append(p)
    _recolour(out, runs)
    return out


def _recolour(panels: list[Panel], runs: Sequence[RunRecord]) -> None:
    """One figure is one view: its runs get distinct colours (`assign_colors`), each its
    first choice from its id unless a run beside it holds that one."""
    colours = assign_colors(r.id for r in runs)
    for p in panels:
        for ln in p.lines:
            ln.color = colours[ln.run.id]
        for m in p.marks:
            m.color = colours[m.run.id]


def _one(key: str | None) -> tuple[str, ...]:
    return (key,) if key else ()


def _quality_title(picked: dict[str, tuple[str, ...]]) -> str:
    names = [k for ks in picked.values() for k in ks]
    if not names or any("acc" in k.lower() for k in names):
        return "Accuracy"
    return "Eval quality"
