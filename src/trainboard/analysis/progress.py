"""Progress of a run: the one place percent, elapsed, ETA and throughput are computed.

`compute_progress` is pure (a RunRecord, recent (step, wall_time) samples, the tail of the
cumulative `tokens` series, a clock); `progress_for` reads just the tails it needs from a store.
The API returns `Progress.to_json()` (ProgressOut in docs/api.md); `trainboard watch`, `show`
and the demo render the same object.

How the rates and the ETA are worked out, at every speed, is `analysis.rates`: an ended run
shows its whole-run averages, a running one its smoothed rate over a time window, and the ETA
holds evaluation and checkpoint pauses in their true proportion.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy.typing as npt

from trainboard import roles
from trainboard.analysis import format as fmt
from trainboard.analysis import rates
from trainboard.analysis.status import effective_status
from trainboard.jsonvalues import spell
from trainboard.roles import RunKeys
from trainboard.store.attempts import NAMESPACE as ATTEMPTS
from trainboard.store.attempts import active_times, attempts_of, down_seconds
from trainboard.store.base import Store
from trainboard.store.records import MetricSummary, RunRecord, Status

# the rate helpers live in analysis.rates; these names stay importable from here
MIN_SECONDS = rates.MIN_SECONDS
MIN_STEPS = rates.MIN_STEPS
smoothed_rate = rates.smoothed_rate
read_tail = rates.read_tail


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
        d: dict[str, Any] = {k: spell(v) for k, v in self.__dict__.items()}
        d["tokens"] = _json_tokens(self.tokens)
        d["elapsed_text"] = self.elapsed_text
        d["eta_text"] = self.eta_text
        d["tokens_text"] = self.tokens_text
        d["steps_per_s_text"] = fmt.rate(self.steps_per_s)
        d["tokens_per_s_text"] = fmt.rate(self.tokens_per_s)
        return d


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


def key_roles(run: RunRecord) -> RunKeys:
    """The run's keys by role (trainboard.roles.run_keys: worked out once per set of keys and
    definitions, the same answer the figures and the UI read)."""
    return roles.run_keys(run.summary, run.goals)


def _last(summary: Mapping[str, MetricSummary], key: str | None) -> float | None:
    if key is None or key not in summary:
        return None
    return float(summary[key].last)


# --- progress -----------------------------------------------------------------------------


def compute_progress(
    run: RunRecord,
    step_samples: tuple[npt.ArrayLike, npt.ArrayLike] | None = None,
    tokens_samples: tuple[npt.ArrayLike, npt.ArrayLike, npt.ArrayLike] | None = None,
    *,
    now: float,
    status: Status | None = None,
    anchor: rates.Anchor | None = None,
    down_s: float = 0.0,
) -> Progress:
    """Progress from what is known: the run (its summary gives the last values), the recent
    window of (steps, wall_times) of the step clock, the same window (steps, wall_times,
    values) of the cumulative tokens series, the clock, and the ETA's anchor (step, time) a
    quarter of the way in (rates.read_anchor). `status` overrides run.status (the effective
    status, e.g. crashed for a dead process). An ended run shows whole-run averages.
    `down_s` is the time the job was down between attempts (store/attempts.py): left out of
    the elapsed time and the rates; the samples' and the anchor's times are then active
    times (attempts.active_times), on a clock that stood still while the job was down."""
    status = status or run.status
    if status != "running":
        return _assemble(run, None, None, now, status, down_s=down_s)
    steps_per_s = tokens_per_s = None
    if step_samples is not None:
        steps_per_s = rates.smoothed_rate(step_samples[0], step_samples[1])
    if tokens_samples is not None:
        tokens_per_s = rates.smoothed_rate(*tokens_samples)
    samples = None if step_samples is None else (step_samples[0], step_samples[1])
    return _assemble(run, steps_per_s, tokens_per_s, now, status, samples, anchor, down_s)


def progress_from_summary(run: RunRecord, *, now: float, status: Status | None = None) -> Progress:
    """Progress from the run's summaries alone (no point reads: a list of 10,000 runs).

    An ended run shows its whole-run averages, as everywhere. A running run's rates are
    averages over its logged span rather than smoothed: tokens/s is exact for a cumulative
    count ((last − first) / time between them); steps/s assumes the clock key was logged at
    even intervals, so its first step is about last_step / count."""
    status = status or run.status
    if status != "running":
        return _assemble(run, None, None, now, status)
    kr = key_roles(run)
    steps_per_s, tokens_per_s = _summary_rates(
        run.summary, kr.train_loss or clock_key(run.summary, run.goals), kr.tokens
    )
    return _assemble(run, steps_per_s, tokens_per_s, now, status)


def _summary_rates(
    summary: Mapping[str, MetricSummary], ck: str | None, tokens_key: str | None
) -> tuple[float | None, float | None]:
    """(steps/s, tokens/s) as whole-run averages from the summaries (see progress_from_summary)."""
    steps_per_s = tokens_per_s = None
    if ck is not None:
        m = summary[ck]
        dt = m.last_time - m.first_time
        span = m.last_step * (m.count - 1) / m.count if m.count > 1 else 0.0
        if dt >= MIN_SECONDS and span >= MIN_STEPS:
            steps_per_s = span / dt
    tk = summary.get(tokens_key) if tokens_key is not None else None
    if tk is not None and math.isfinite(tk.min) and math.isfinite(tk.last):
        dt = tk.last_time - tk.first_time
        if dt >= MIN_SECONDS and tk.last > tk.min:
            tokens_per_s = (tk.last - tk.min) / dt
    return steps_per_s, tokens_per_s


def _step(run: RunRecord) -> int | None:
    """The run's step: its last_step, else the furthest step of a non-system key."""
    if run.last_step is not None or not run.summary:
        return run.last_step
    steps = [m.last_step for k, m in run.summary.items() if not roles.is_system(k, run.goals)]
    return max(steps) if steps else None


def _at_end(step: int | None, total: int | None, status: Status) -> int | None:
    """A finished run's step: its total when the last step logged is the last of the total.

    Steps counted from 0 end at total − 1: Lightning logs a 340-step fit's last point at step
    339, so a finished run read "339/340, 99.7%". A finished run that reached total − 1 did
    all its steps; one that stopped earlier (early stopping) keeps its real last step."""
    if status == "finished" and total and step == total - 1:
        return total
    return step


def _percent(step: int | None, total: int | None) -> float | None:
    if total and step is not None:
        pct = 100.0 * step / total
        return 100.0 if pct > 100.0 else 0.0 if pct < 0.0 else pct  # min/max calls cost more
    return None


def _eta(
    status: Status,
    step: int | None,
    total: int | None,
    steps_per_s: float | None,
    now: float,
    samples: rates.Samples | None = None,
    anchor: rates.Anchor | None = None,
) -> float | None:
    if status == "finished":
        return 0.0
    if status == "running" and total and step is not None:
        return rates.eta(total - step, steps_per_s, samples, anchor, now)
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
    samples: rates.Samples | None = None,
    anchor: rates.Anchor | None = None,
    down_s: float = 0.0,
) -> Progress:
    """The Progress; an ended run's rates are its whole-run averages (given ones ignored),
    over the time it ran (`down_s`, the time it was down between attempts, left out)."""
    summary = run.summary
    total = run.total_steps
    step = _at_end(_step(run), total, status)
    kr = key_roles(run)
    lk = kr.train_loss
    elapsed = max(0.0, _elapsed(run, status, now) - down_s)
    if status != "running":
        steps_per_s, tokens_per_s = rates.whole_run_rates(run, step, elapsed, kr.tokens)
    return Progress(
        step=step,
        total_steps=total,
        percent=_percent(step, total),
        elapsed_s=elapsed,
        eta_s=_eta(status, step, total, steps_per_s, now - down_s, samples, anchor),
        steps_per_s=steps_per_s,
        tokens_per_s=tokens_per_s,
        tokens=_last(summary, kr.tokens),
        batches=_batches(summary, kr.batches, step),
        loss=_last(summary, lk),
        loss_key=lk,
        grad_norm=_last(summary, kr.grad_norm),
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
        lk = kr.train_loss
        total = run.total_steps
        step = _at_end(_step(run), total, status)
        elapsed = _elapsed(run, status, self.now)
        if status == "running":
            ck = lk if lk is not None else clock_key(summary, run.goals)
            steps_per_s, tokens_per_s = _summary_rates(summary, ck, kr.tokens)
        else:
            steps_per_s, tokens_per_s = rates.whole_run_rates(run, step, elapsed, kr.tokens)
        eta = _eta(status, step, total, steps_per_s, self.now)
        tokens = None if kr.tokens is None else summary[kr.tokens].last
        loss = None if lk is None else summary[lk].last
        grad = None if kr.grad_norm is None else summary[kr.grad_norm].last
        epoch = None if kr.epoch is None else summary[kr.epoch].last
        return {
            "step": step,
            "total_steps": total,
            "percent": _percent(step, total),
            "elapsed_s": elapsed if elapsed - elapsed == 0.0 else spell(elapsed),
            "eta_s": eta,
            "steps_per_s": steps_per_s,
            "tokens_per_s": tokens_per_s,
            "tokens": _json_tokens(tokens),
            "batches": _batches(summary, kr.batches, step),
            "loss": loss if loss is None or loss - loss == 0.0 else spell(loss),
            "loss_key": lk,
            "grad_norm": grad if grad is None or grad - grad == 0.0 else spell(grad),
            "epoch": epoch if epoch is None or epoch - epoch == 0.0 else spell(epoch),
            "status": status,
            "elapsed_text": self._text("elapsed", elapsed, fmt.duration),
            "eta_text": self._text("eta", eta, fmt.eta),
            "tokens_text": self._text("tokens", tokens, fmt.millions),
            "steps_per_s_text": self._text("rate", steps_per_s, fmt.rate),
            "tokens_per_s_text": self._text("rate", tokens_per_s, fmt.rate),
        }


def _json_tokens(tokens: float | None) -> Any:
    """A token count as Progress.to_json spells it: an int when whole."""
    if tokens is not None and math.isfinite(tokens):
        return int(tokens) if tokens == int(tokens) else tokens
    return spell(tokens)


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


def progress_for(store: Store, run: RunRecord, now: float | None = None) -> Progress:
    """Progress of a stored run: a running run reads the recent window of its step clock and
    tokens, and one point a quarter of the way in (the ETA's anchor); an ended run reads
    nothing."""
    import time

    now = time.time() if now is None else now
    status = effective_status(run, now)
    tried = attempts_of(store.read_run_values(run.id, ATTEMPTS))
    down = down_seconds(tried)
    if status != "running":  # whole-run averages: the summaries say it all
        return compute_progress(run, now=now, status=status, down_s=down)
    ck = clock_key(run.summary, run.goals)
    clock = rates.read_window(store, run, ck) if ck else None
    anchor = rates.read_anchor(store, run, ck) if ck else None
    tk = key_roles(run).tokens
    toks = rates.read_window(store, run, tk) if tk else None
    if down > 0:  # every time on the clock that stood still while the job was down
        if clock is not None:
            clock = (clock[0], active_times(clock[1], tried), clock[2])
        if toks is not None:
            toks = (toks[0], active_times(toks[1], tried), toks[2])
        if anchor is not None:
            anchor = (anchor[0], float(active_times([anchor[1]], tried)[0]), *anchor[2:])
    return compute_progress(
        run,
        (clock[0], clock[1]) if clock else None,
        toks,
        now=now,
        status=status,
        anchor=anchor,
        down_s=down,
    )
