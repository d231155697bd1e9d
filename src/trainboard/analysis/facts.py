"""What a comparison needs beyond a run's summary, read from the store: progress (from
`analysis.progress`, the one place for throughput and elapsed), the epoch at the best step,
and the GPU use and memory (which keys are the run's GPUs: the progress card's rule,
`analysis.card.gpu_keys`, each rank's own GPU first)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from trainboard import roles
from trainboard.analysis.card import gpu_keys
from trainboard.analysis.progress import progress_for
from trainboard.store.base import Store
from trainboard.store.records import Goal, RunRecord, Status

__all__ = ["RunFacts", "best_step", "gather_all", "gather_facts"]


@dataclass
class RunFacts:
    """What a comparison needs beyond a run's summary, read from the store by `gather_facts`.

    Progress numbers come from `analysis.progress` (one place for throughput and elapsed);
    `epoch_at_best` is the `epoch` metric at the step where the deciding metric was best;
    `gpu_util` the mean of the run's GPU utilisation series (mean over GPUs); `gpu_mem_gb`
    and `gpu_mem_pct` the peak memory of its busiest GPU."""

    status: Status
    duration_s: float | None = None
    steps_per_s: float | None = None
    tokens_per_s: float | None = None
    tokens: float | None = None
    epoch_at_best: float | None = None
    gpu_util: float | None = None
    gpu_mem_gb: float | None = None
    gpu_mem_pct: float | None = None


def best_step(run: RunRecord, metric: str, goal: Goal) -> int | None:
    """The step of the run's value of `metric` (its last step when the run defined the key's
    result as its final value)."""
    s = run.summary.get(metric)
    if s is None:
        return None
    if roles.value_kind(metric, run.goals) == "last":
        return s.last_step
    return s.min_step if goal == "min" else s.max_step


def _epoch_at(store: Store, run: RunRecord, step: int | None) -> float | None:
    """The `epoch` metric at `step`: its value at the first epoch point at or after `step`
    (epoch is often logged only with each evaluation), else its last value.

    Read as small step ranges from `step` on (the store reads only the chunks they overlap),
    widened until a point turns up, so a run of a million steps costs a chunk, not the whole
    epoch series. The first window is twice the mean spacing of the epoch points. Which key
    is the epoch is `trainboard.roles`' call ("epoch", "Training/epoch", ...)."""
    key = roles.epoch_key(run.summary, run.goals)
    s = run.summary.get(key) if key is not None else None
    if key is None or s is None or step is None:
        return None
    if step > s.last_step:
        return float(s.last)
    span = 2 * max(1, math.ceil(s.last_step / max(1, s.count)))
    while True:
        end = min(step + span, s.last_step)
        vals = store.read_series(run.id, key, start=step, end=end).values
        vals = vals[np.isfinite(vals)]
        if vals.size:
            return float(vals[0])
        if end >= s.last_step:
            return None
        span *= 4


def _gpu_util(store: Store, run: RunRecord, keys: Mapping[str, tuple[str, str]]) -> float | None:
    """Mean utilisation over each GPU's series, then over GPUs (percent)."""
    means = []
    for key in sorted(k for k, (_, what) in keys.items() if what == "util"):
        vals = store.read_series(run.id, key, max_points=10_000).values
        vals = vals[np.isfinite(vals)]
        if vals.size:
            means.append(float(vals.mean()))
    return sum(means) / len(means) if means else None


def _gpu_peak(run: RunRecord, keys: Mapping[str, tuple[str, str]], what: str) -> float | None:
    """The highest value any of the GPUs reached for `what` (from the summary: no read)."""
    peaks = [run.summary[k].max for k, (_, w) in keys.items() if w == what]
    peaks = [p for p in peaks if math.isfinite(p)]
    return max(peaks) if peaks else None


def gather_facts(
    store: Store, run: RunRecord, metric: str | None, goal: Goal, now: float | None = None
) -> RunFacts:
    """Everything `build_comparison` needs for one run beyond its summary."""
    p = progress_for(store, run, now=now)
    step = best_step(run, metric, goal) if metric and metric in run.summary else None
    gpus = gpu_keys(run.summary)
    return RunFacts(
        status=p.status,
        duration_s=p.elapsed_s,
        steps_per_s=p.steps_per_s,
        tokens_per_s=p.tokens_per_s,
        tokens=p.tokens,
        epoch_at_best=_epoch_at(store, run, step),
        gpu_util=_gpu_util(store, run, gpus),
        gpu_mem_gb=_gpu_peak(run, gpus, "mem_used_gb"),
        gpu_mem_pct=_gpu_peak(run, gpus, "mem_percent"),
    )


def gather_all(
    store: Store,
    runs: Sequence[RunRecord],
    keys: Mapping[str, str | None],
    goal: Goal,
    now: float | None,
) -> dict[str, RunFacts]:
    """Facts of every run (`keys`: each run's own key for the measure compared on), one after
    another: a thread pool measured slower here (50 runs: 75 vs 60 ms on 2 cores), the small
    reads hold the GIL more than they release it."""
    return {r.id: gather_facts(store, r, keys.get(r.id), goal, now) for r in runs}
