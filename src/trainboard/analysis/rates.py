"""Rates and the ETA, at every speed: from one step a minute to 10,000 steps a second.

What a person reads, and where it comes from:

- A finished (or otherwise ended) run shows its whole-run averages: "it took 10m 6s for 1,000
  steps" is 1.65 steps/s, the same in the card, the CLI, the Runs list and Compare
  (`whole_run_rates`, summaries only).
- A running run shows its smoothed recent rate (`smoothed_rate`) over a *time* window: the
  last `WINDOW_S` seconds or the last `WINDOW_STEPS` steps, whichever reaches further back,
  read by `read_window` (a fixed count of points spans 2 s at 170 steps/s and hours at one
  step a minute). The pace blends the window's average with an EMA of the intervals, so
  alternating fast and slow intervals average to the true pace.
- The ETA (`eta`) is remaining steps × a pace that includes the run's pauses: the average
  from an anchor a quarter of the way into the run (past any warm-up) to the newest step
  (`read_anchor`), which holds evaluation and checkpoint pauses in their true proportion.
  The recent window alone would not: read just after an eval it holds a whole pause in a
  minute of steps, and the ETA would jump by half. A real change of speed still shows: when
  the pace between pauses now (the median interval of the window) differs from the same
  around the anchor by more than SPEED_DEADBAND, the recent window's pace is used instead.
  While no step arrives (a pause in progress) the ETA counts down with the clock instead of
  growing to hours, and never below what the remaining steps take at the pace between pauses.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt

from trainboard.store.base import Store
from trainboard.store.records import RunRecord

WINDOW_S = 60.0  # the rate window reaches back this many seconds...
WINDOW_STEPS = 50  # ...or this many steps, whichever is further
EMA_ALPHA = 0.05  # weight of the newest interval in the EMA of the pace
BLEND = 0.5  # share of the windowed pace in the recent pace (the rest is the EMA)
MIN_STEPS = 3  # no rate until the samples span at least this many steps...
MIN_SECONDS = 2.0  # ...and this many seconds
ANCHOR_FRAC = 0.25  # the ETA's long pace runs from this fraction of the steps so far
ANCHOR_POINTS = 64  # points read at the anchor, for the pace between pauses there
SPEED_RATIO = (0.25, 4.0)  # how far a change of speed may scale the long pace (no window)
SPEED_DEADBAND = 1.15  # a change of speed beyond this (medians of ~100 intervals jitter ±5%)
WINDOW_POINTS = (64, 65_536)  # a window read takes at least / at most this many points

Floats = npt.NDArray[np.float64]
Samples = tuple[Any, Any]  # steps, wall times
Anchor = tuple[float, float] | tuple[float, float, float | None]  # step, time[, active pace]


def _clean(
    steps: npt.ArrayLike, times: npt.ArrayLike, values: npt.ArrayLike | None
) -> tuple[Floats, Floats, Floats]:
    s = np.asarray(steps, dtype=np.float64)
    t = np.asarray(times, dtype=np.float64)
    y = s if values is None else np.asarray(values, dtype=np.float64)
    ok = np.isfinite(t) & np.isfinite(y)
    return s[ok], t[ok], y[ok]


def smoothed_rate(
    steps: npt.ArrayLike, times: npt.ArrayLike, values: npt.ArrayLike | None = None
) -> float | None:
    """Units of `values` (default: the steps themselves) per second over the recent window,
    smoothed as the module docstring says; None until MIN_STEPS steps and MIN_SECONDS
    seconds are covered."""
    s, t, y = _clean(steps, times, values)
    if s.size < 2 or s[-1] - s[0] < MIN_STEPS or t[-1] - t[0] < MIN_SECONDS:
        return None
    # window: the last WINDOW_S seconds or WINDOW_STEPS steps, whichever reaches further back
    start = int(min(np.searchsorted(t, t[-1] - WINDOW_S), np.searchsorted(s, s[-1] - WINDOW_STEPS)))
    start = min(start, s.size - 2)
    dt_win, dy_win = t[-1] - t[start], y[-1] - y[start]
    if dt_win <= 0 or dy_win <= 0:
        return None
    pace_win = float(dt_win / dy_win)
    dts, dys = np.diff(t), np.diff(y)
    keep = (dts > 0) & (dys > 0)
    ema_dt, ema_dy = 0.0, 0.0
    first = True
    for dt, dy in zip(dts[keep], dys[keep], strict=True):
        if first:
            ema_dt, ema_dy, first = float(dt), float(dy), False
        else:
            ema_dt += EMA_ALPHA * (float(dt) - ema_dt)
            ema_dy += EMA_ALPHA * (float(dy) - ema_dy)
    pace = pace_win if first else BLEND * pace_win + (1 - BLEND) * (ema_dt / ema_dy)
    return float(1.0 / pace) if pace > 0 else None


def active_pace(steps: npt.ArrayLike, times: npt.ArrayLike) -> float | None:
    """Seconds per step between pauses: the median over the window's intervals (an eval or a
    checkpoint save is one long interval among many, and the median ignores it)."""
    s, t, _ = _clean(steps, times, None)
    ds, dt = np.diff(s), np.diff(t)
    ok = (ds > 0) & (dt >= 0)
    if ok.sum() < 2:
        return None
    return float(np.median(dt[ok] / ds[ok]))


def long_pace(anchor: Anchor | None, steps: Any, times: Any) -> float | None:
    """Seconds per step from `anchor` (step, time) to the newest sample, pauses included."""
    if anchor is None or len(steps) == 0:
        return None
    ds = float(steps[-1]) - anchor[0]
    dt = float(times[-1]) - anchor[1]
    if ds < MIN_STEPS or dt < MIN_SECONDS or not math.isfinite(dt):
        return None
    return dt / ds


def eta(
    remaining: float,
    recent_rate: float | None,
    samples: Samples | None,
    anchor: Anchor | None,
    now: float,
) -> float | None:
    """Seconds left for `remaining` steps of a running run (see the module docstring)."""
    if remaining <= 0:
        return 0.0
    long = long_pace(anchor, *samples) if samples is not None else None
    floor = active_pace(*samples) if samples is not None else None
    if long is None:
        if not recent_rate:
            return None
        pace = 1.0 / recent_rate
    else:
        pace = long
        then = anchor[2] if anchor is not None and len(anchor) > 2 else None
        if then and floor:
            lo, hi = SPEED_RATIO
            ratio = min(max(floor / then, lo), hi)
            if not 1 / SPEED_DEADBAND < ratio < SPEED_DEADBAND:
                # the speed changed since the anchor: the recent window knows the new one
                pace = 1.0 / recent_rate if recent_rate else pace * ratio
    if samples is None or len(samples[1]) == 0:
        return remaining * pace
    idle = max(0.0, now - float(np.nanmax(np.asarray(samples[1], dtype=np.float64))))
    least = remaining * min(floor, pace) if floor is not None else 0.0
    return max(remaining * pace - idle, least)


def whole_run_rates(
    run: RunRecord, step: int | None, elapsed: float, tokens_key: str | None
) -> tuple[float | None, float | None]:
    """(steps/s, tokens/s) of an ended run: what it did over the time it took."""
    if elapsed <= 0:
        return None, None
    steps_per_s = step / elapsed if step else None
    tokens_per_s = None
    tk = run.summary.get(tokens_key) if tokens_key is not None else None
    if tk is not None and math.isfinite(tk.last) and tk.last > 0:
        tokens_per_s = tk.last / elapsed
    return steps_per_s, tokens_per_s


# --- reads -----------------------------------------------------------------------------------


def read_tail(store: Store, run: RunRecord, key: str, n: int) -> tuple[Any, Any, Any] | None:
    """About the newest `n` points of a key, read with `since` so history is never read."""
    m = run.summary.get(key)
    if m is None:
        return None
    # points per step so far (a key logged every 10 steps has 0.1), to turn n points into steps
    density = m.count / max(m.last_step + 1, 1)
    back = max(WINDOW_STEPS * 2, int(math.ceil(n / max(density, 1e-9))))
    since = m.last_step - back
    series = store.read_series(run.id, key, since=since if since >= 0 else None, max_points=n * 4)
    return series.steps, series.times, series.values


def read_window(store: Store, run: RunRecord, key: str) -> tuple[Any, Any, Any] | None:
    """The points of the last WINDOW_S seconds (and at least WINDOW_STEPS steps) of a key.

    How many points that is comes from the key's average points per second; when the run sped
    up since, the first read spans less time than asked and one wider read follows."""
    m = run.summary.get(key)
    if m is None:
        return None
    span = max(m.last_time - m.first_time, 1e-9)
    lo, hi = WINDOW_POINTS
    n = int(min(max(math.ceil(1.5 * WINDOW_S * m.count / span), lo), hi))
    got = read_tail(store, run, key, n)
    for _ in range(3):
        if got is None or len(got[1]) == 0 or n >= hi or len(got[1]) >= m.count:
            break
        covered = float(got[1][-1] - got[1][0])
        if covered >= WINDOW_S:
            break
        n = int(min(hi, n * max(2.0, 1.5 * WINDOW_S / max(covered, 1e-3))))
        got = read_tail(store, run, key, n)
    return got


def read_anchor(store: Store, run: RunRecord, key: str, frac: float = ANCHOR_FRAC) -> Anchor | None:
    """(step, time, pace between pauses) at the key's first point at or after `frac` of its
    last step: the start of the ETA's long pace, and the speed there. Read as a small step
    range (about ANCHOR_POINTS points: one chunk), widened until a point turns up."""
    m = run.summary.get(key)
    if m is None or m.count < 3:
        return None
    target = int(m.last_step * frac)
    spacing = max(1, math.ceil(m.last_step / max(1, m.count)))
    width = ANCHOR_POINTS * spacing
    while True:
        end = min(target + width, m.last_step)
        got = store.read_series(run.id, key, start=target, end=end)
        t = np.asarray(got.times, dtype=np.float64)
        if t.size:
            return float(got.steps[0]), float(t[0]), active_pace(got.steps, t)
        if end >= m.last_step:
            return None
        width *= 4
