"""Progress of a run: the one place percent, elapsed, ETA and throughput are computed.

`compute_progress` is pure (a RunRecord, recent (step, wall_time) samples, the tail of the
cumulative `tokens` series, a clock); `progress_for` reads just the tails it needs from a store.
The API returns `Progress.to_json()` (ProgressOut in docs/api.md); `trainboard watch`, `show`
and the demo render the same object.

Why the rate is smoothed: an ETA computed from the last step interval jumps around with every
slow batch, eval pause or GC. The rate here blends two estimates of seconds per step (the pace):

- a window: the last 60 s or the last 50 steps, whichever reaches further back, as one
  average (total time / total steps) — steady, and unbiased when intervals jitter;
- an EMA of the step intervals over the whole tail read (a ratio of the EMA of seconds to the
  EMA of steps, so alternating fast and slow intervals average to the true pace rather than
  being biased the way an average of instantaneous rates is).

The ETA is remaining steps × the blended pace. It stays None until a few steps and a few
seconds have been seen, and is 0 once the run finished.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from trainboard import roles
from trainboard.analysis import format as fmt
from trainboard.analysis.status import effective_status
from trainboard.store.base import MetricSummary, RunRecord, Status, Store

WINDOW_S = 60.0  # the rate window reaches back this many seconds...
WINDOW_STEPS = 50  # ...or this many steps, whichever is further
EMA_ALPHA = 0.05  # weight of the newest interval in the EMA of the pace
BLEND = 0.5  # share of the windowed pace in the final pace (the rest is the EMA)
MIN_STEPS = 3  # no rate until the samples span at least this many steps...
MIN_SECONDS = 3.0  # ...and this many seconds
TAIL_POINTS = 400  # how many of the newest points progress_for reads per series


@dataclass
class Progress:
    """ProgressOut in docs/api.md."""

    step: int | None
    total_steps: int | None
    percent: float | None
    elapsed_s: float
    eta_s: float | None
    steps_per_s: float | None
    tokens_per_s: float | None
    tokens: float | None
    batches: int | None
    loss: float | None
    loss_key: str | None
    grad_norm: float | None
    epoch: float | None
    status: Status

    @property
    def elapsed_text(self) -> str:
        return fmt.duration(self.elapsed_s)

    @property
    def eta_text(self) -> str:
        return fmt.eta(self.eta_s)

    @property
    def tokens_text(self) -> str:
        return fmt.millions(self.tokens)

    def to_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {k: _json_num(v) for k, v in self.__dict__.items()}
        d["tokens"] = _json_tokens(self.tokens)
        d["elapsed_text"] = self.elapsed_text
        d["eta_text"] = self.eta_text
        d["tokens_text"] = self.tokens_text
        return d


def _json_num(v: Any) -> Any:
    if isinstance(v, float) and not math.isfinite(v):
        return "NaN" if math.isnan(v) else ("Infinity" if v > 0 else "-Infinity")
    return v


# --- which metric is which (asked of trainboard.roles; kept here as named helpers) -----------


def loss_key(keys: Iterable[str], defined: Mapping[str, str] | None = None) -> str | None:
    """The train loss (roles.train_loss_key): "train/loss", "loss", "Loss/train"..."""
    return roles.train_loss_key(keys, defined)


def eval_loss_key(keys: Iterable[str], defined: Mapping[str, str] | None = None) -> str | None:
    """The validation loss (roles.eval_loss_key): "eval/loss", "val_loss", "Loss/validation"..."""
    return roles.eval_loss_key(keys, defined)


def grad_norm_key(keys: Iterable[str], defined: Mapping[str, str] | None = None) -> str | None:
    return roles.grad_norm_key(keys, defined)


def clock_key(
    summary: Mapping[str, MetricSummary], defined: Mapping[str, str] | None = None
) -> str | None:
    """The series whose points mark training steps: the train loss when logged, else the
    non-system key that reached the furthest step with the most points."""
    lk = loss_key(summary, defined)
    if lk is not None:
        return lk
    cands = [k for k in summary if not roles.is_system(k, defined)]
    if not cands:
        return None
    return max(cands, key=lambda k: (summary[k].last_step, summary[k].count, k))


class KeyRoles:
    """Which key plays each part progress needs, for one set of keys and definitions.

    It depends only on the keys a run logged and its define_metric() choices, and runs of one
    project log the same keys: `key_roles` works it out once per such set (the runs list
    asks for 10,000 runs per request)."""

    __slots__ = ("batches", "clock", "epoch", "eval_loss", "grad", "loss", "tokens")

    def __init__(self, names: tuple[str, ...], defined: Mapping[str, str] | None) -> None:
        self.loss = roles.train_loss_key(names, defined)
        self.eval_loss = roles.eval_loss_key(names, defined)
        self.grad = roles.grad_norm_key(names, defined)
        self.tokens = roles.tokens_key(names, defined)
        self.epoch = roles.epoch_key(names, defined)
        self.batches = roles.batches_key(names, defined)
        self.clock = self.loss  # when None, clock_key works it out from the summaries


_KEY_ROLES: dict[tuple[tuple[str, ...], tuple[tuple[str, str], ...]], KeyRoles] = {}


def key_roles(run: RunRecord) -> KeyRoles:
    """KeyRoles of a run's keys and definitions (cached per distinct set)."""
    names = tuple(run.summary)
    defined = tuple(run.goals.items())
    kr = _KEY_ROLES.get((names, defined))
    if kr is None:
        if len(_KEY_ROLES) > 4096:
            _KEY_ROLES.clear()
        kr = _KEY_ROLES[(names, defined)] = KeyRoles(names, run.goals)
    return kr


def _last(summary: Mapping[str, MetricSummary], key: str | None) -> float | None:
    if key is None or key not in summary:
        return None
    return float(summary[key].last)


# --- the smoothed rate ------------------------------------------------------------------


def smoothed_rate(
    steps: npt.ArrayLike, times: npt.ArrayLike, values: npt.ArrayLike | None = None
) -> float | None:
    """Units of `values` (default: the steps themselves) per second, smoothed as the module
    docstring says; None until MIN_STEPS steps and MIN_SECONDS seconds are covered."""
    s = np.asarray(steps, dtype=np.float64)
    t = np.asarray(times, dtype=np.float64)
    y = s if values is None else np.asarray(values, dtype=np.float64)
    ok = np.isfinite(t) & np.isfinite(y)
    s, t, y = s[ok], t[ok], y[ok]
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


# --- progress -----------------------------------------------------------------------------


def compute_progress(
    run: RunRecord,
    step_samples: tuple[npt.ArrayLike, npt.ArrayLike] | None = None,
    tokens_samples: tuple[npt.ArrayLike, npt.ArrayLike, npt.ArrayLike] | None = None,
    *,
    now: float,
    status: Status | None = None,
) -> Progress:
    """Progress from what is known: the run (its summary gives the last values), recent
    (steps, wall_times) of the step clock, the tail (steps, wall_times, values) of the
    cumulative `tokens` series, and the clock. `status` overrides run.status (the effective
    status, e.g. crashed for a dead process)."""
    steps_per_s = None
    if step_samples is not None:
        steps_per_s = smoothed_rate(step_samples[0], step_samples[1])
    tokens_per_s = None
    if tokens_samples is not None:
        tokens_per_s = smoothed_rate(*tokens_samples)
    status = status or run.status
    if status != "running" and (steps_per_s is None or tokens_per_s is None):
        # an ended run too short for a smoothed rate still has a whole-run average
        avg_steps, avg_tokens = _summary_rates(
            run.summary, clock_key(run.summary, run.goals), key_roles(run).tokens, min_s=0.0
        )
        steps_per_s = avg_steps if steps_per_s is None else steps_per_s
        tokens_per_s = avg_tokens if tokens_per_s is None else tokens_per_s
    return _assemble(run, steps_per_s, tokens_per_s, now, status)


def progress_from_summary(run: RunRecord, *, now: float, status: Status | None = None) -> Progress:
    """Progress from the run's summaries alone (no point reads: a list of 10,000 runs).

    The rates are whole-run averages rather than smoothed: tokens/s is exact for a cumulative
    count ((last − first) / time between them); steps/s assumes the clock key was logged at
    even intervals, so its first step is about last_step / count."""
    kr = key_roles(run)
    steps_per_s, tokens_per_s = _summary_rates(
        run.summary, kr.clock or clock_key(run.summary, run.goals), kr.tokens
    )
    return _assemble(run, steps_per_s, tokens_per_s, now, status or run.status)


def _summary_rates(
    summary: Mapping[str, MetricSummary],
    ck: str | None,
    tokens_key: str | None,
    min_s: float = MIN_SECONDS,
) -> tuple[float | None, float | None]:
    """(steps/s, tokens/s) as whole-run averages from the summaries (see progress_from_summary)."""
    steps_per_s = tokens_per_s = None
    if ck is not None:
        m = summary[ck]
        dt = m.last_time - m.first_time
        span = m.last_step * (m.count - 1) / m.count if m.count > 1 else 0.0
        if dt > 0 and dt >= min_s and span >= MIN_STEPS:
            steps_per_s = span / dt
    tk = summary.get(tokens_key) if tokens_key is not None else None
    if tk is not None and math.isfinite(tk.min) and math.isfinite(tk.last):
        dt = tk.last_time - tk.first_time
        if dt > 0 and dt >= min_s and tk.last > tk.min:
            tokens_per_s = (tk.last - tk.min) / dt
    return steps_per_s, tokens_per_s


def _step(run: RunRecord) -> int | None:
    """The run's step: its last_step, else the furthest step of a non-system key."""
    if run.last_step is not None or not run.summary:
        return run.last_step
    steps = [m.last_step for k, m in run.summary.items() if not roles.is_system(k, run.goals)]
    return max(steps) if steps else None


def _percent(step: int | None, total: int | None) -> float | None:
    if total and step is not None:
        pct = 100.0 * step / total
        return 100.0 if pct > 100.0 else 0.0 if pct < 0.0 else pct  # min/max calls cost more
    return None


def _eta(
    status: Status, step: int | None, total: int | None, steps_per_s: float | None
) -> float | None:
    if status == "finished":
        return 0.0
    if status == "running" and total and step is not None:
        if step >= total:
            return 0.0
        if steps_per_s:
            return (total - step) / steps_per_s
    return None


def _batches(summary: Mapping[str, MetricSummary], key: str | None, step: int | None) -> int | None:
    """The batch counter when logged (and finite), else the step."""
    m = summary.get(key) if key is not None else None
    if m is not None and math.isfinite(m.last):
        return int(m.last)
    return step


def _assemble(
    run: RunRecord,
    steps_per_s: float | None,
    tokens_per_s: float | None,
    now: float,
    status: Status,
) -> Progress:
    summary = run.summary
    step = _step(run)
    total = run.total_steps
    kr = key_roles(run)
    lk = kr.loss
    return Progress(
        step=step,
        total_steps=total,
        percent=_percent(step, total),
        elapsed_s=_elapsed(run, status, now),
        eta_s=_eta(status, step, total, steps_per_s),
        steps_per_s=steps_per_s,
        tokens_per_s=tokens_per_s,
        tokens=_last(summary, kr.tokens),
        batches=_batches(summary, kr.batches, step),
        loss=_last(summary, lk),
        loss_key=lk,
        grad_norm=_last(summary, kr.grad),
        epoch=_last(summary, kr.epoch),
        status=status,
    )


class SummaryProgress:
    """`progress_from_summary(run, now=now, status=s).to_json()` for many runs at one clock
    (the runs list: 10,000 runs per request), built straight into the JSON dict.

    Which key plays which part comes from `key_roles` (once per key set), and no Progress
    object is made in between. The numbers come from the same helpers as
    progress_from_summary."""

    def __init__(self, now: float) -> None:
        self.now = now
        self._texts: dict[tuple[str, float], str] = {}  # (what, value) -> text: runs repeat

    def _text(self, what: str, v: float | None, fn: Callable[[float | None], str]) -> str:
        if v is None:
            return fn(v)
        text = self._texts.get((what, v))
        if text is None:
            text = self._texts[(what, v)] = fn(v)
        return text

    def json(self, run: RunRecord, status: Status) -> dict[str, Any]:
        summary = run.summary
        kr = key_roles(run)
        lk = kr.loss
        ck = lk if lk is not None else clock_key(summary, run.goals)
        steps_per_s, tokens_per_s = _summary_rates(summary, ck, kr.tokens)
        step = _step(run)
        total = run.total_steps
        elapsed = _elapsed(run, status, self.now)
        eta = _eta(status, step, total, steps_per_s)
        tokens = None if kr.tokens is None else summary[kr.tokens].last
        loss = None if lk is None else summary[lk].last
        grad = None if kr.grad is None else summary[kr.grad].last
        epoch = None if kr.epoch is None else summary[kr.epoch].last
        return {
            "step": step,
            "total_steps": total,
            "percent": _percent(step, total),
            "elapsed_s": elapsed if elapsed - elapsed == 0.0 else _json_num(elapsed),
            "eta_s": eta,
            "steps_per_s": steps_per_s,
            "tokens_per_s": tokens_per_s,
            "tokens": _json_tokens(tokens),
            "batches": _batches(summary, kr.batches, step),
            "loss": loss if loss is None or loss - loss == 0.0 else _json_num(loss),
            "loss_key": lk,
            "grad_norm": grad if grad is None or grad - grad == 0.0 else _json_num(grad),
            "epoch": epoch if epoch is None or epoch - epoch == 0.0 else _json_num(epoch),
            "status": status,
            "elapsed_text": self._text("elapsed", elapsed, fmt.duration),
            "eta_text": self._text("eta", eta, fmt.eta),
            "tokens_text": self._text("tokens", tokens, fmt.millions),
        }


def _json_tokens(tokens: float | None) -> Any:
    """A token count as Progress.to_json spells it: an int when whole."""
    if tokens is not None and math.isfinite(tokens):
        return int(tokens) if tokens == int(tokens) else tokens
    return _json_num(tokens)


def _elapsed(run: RunRecord, status: Status, now: float) -> float:
    """created_at → finished_at; a run that ended without one (crashed) ends at its last sign
    of life; a running run at `now`."""
    end = run.finished_at
    if end is None and status != "running":
        marks = [m.last_time for m in run.summary.values()]
        if run.heartbeat_at is not None:
            marks.append(run.heartbeat_at)
        end = max(marks) if marks else run.created_at
    if end is None:
        end = now
    return max(0.0, end - run.created_at)


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


def progress_for(store: Store, run: RunRecord, now: float | None = None) -> Progress:
    """Progress of a stored run, reading only the tails of the step clock and `tokens`."""
    import time

    now = time.time() if now is None else now
    status = effective_status(run, now)
    ck = clock_key(run.summary, run.goals)
    clock = read_tail(store, run, ck, TAIL_POINTS) if ck else None
    tk = key_roles(run).tokens
    toks = read_tail(store, run, tk, TAIL_POINTS) if tk else None
    return compute_progress(
        run,
        (clock[0], clock[1]) if clock else None,
        toks,
        now=now,
        status=status,
    )
