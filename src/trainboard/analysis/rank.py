"""Which run is best, and how far each run is from it: ranking from run summaries alone.

Ranking reads run summaries only (no point reads), so the Runs page can rank 10,000 runs per
request; the comparison (`analysis.compare`) and the trend (`analysis.trend`) build on it.

Conventions shared by the API, the CLI and the reports:

- The deciding metric defaults to the eval loss when one is logged, else the train loss, else
  an eval quality metric (`deciding_metric`: `trainboard.roles` decides what each key is).
- A run's value is its best value of that metric: the summary minimum for a "min" goal, the
  maximum for a "max" goal. A non-finite value (NaN, ±inf) counts as no value: such a run is
  never best and has no delta.
- `delta_pct = 100 * (value - best) / |best|` to minimise, `100 * (best - value) / |best|` to
  maximise: positive means worse, 0 for the best run. It is the one delta the product shows
  (the table, the Runs list, the recommendation): always against the best run. When the best
  value is exactly 0 a relative distance does not exist, so the delta is None for the runs
  that differ from it.
- Ties go to the run created first (it reached that value first), then to the smaller id, so
  the same data always gives the same winner.
- A run still running is compared on what it logged so far: it is never "worse" than the
  best, so `runs_worse_than` (what `archive --worse-than` clears) leaves it out.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from trainboard import roles
from trainboard.analysis.status import effective_status
from trainboard.errors import UsageError
from trainboard.store.queries import GroupLeaders
from trainboard.store.records import Goal, RunRecord

__all__ = [
    "RunRank",
    "best_value",
    "deciding_metric",
    "delta_pct",
    "metric_goal",
    "rank_in_groups",
    "rank_key",
    "runs_worse_than",
]


def deciding_metric(keys: Iterable[str], defined: Mapping[str, str] | None = None) -> str | None:
    """The metric that decides "best" when the user named none: `roles.deciding_metric`
    (eval loss, else train loss, else an eval quality metric...)."""
    return roles.deciding_metric(keys, defined)


def metric_goal(metric: str, goals: Mapping[str, str] | None = None) -> Goal:
    """The direction of `metric`: define_metric() choice, else its role, else "min".

    A metric whose role says nothing (e.g. "grad_norm") is ranked lowest-first; callers
    that show a goal say which was used, so the user can set it with define_metric()."""
    return roles.goal_of(metric, goals) or "min"


def best_value(run: RunRecord, metric: str, goal: Goal) -> float | None:
    """The run's best value of `metric` from its summary; None when absent or not finite."""
    s = run.summary.get(metric)
    if s is None:
        return None
    v = s.min if goal == "min" else s.max
    if v is None or not math.isfinite(v):
        return None
    return float(v)


def delta_pct(value: float | None, best: float | None, goal: Goal) -> float | None:
    """How much worse `value` is than `best`, in percent of |best| (positive = worse)."""
    if value is None or best is None:
        return None
    if value == best:
        return 0.0
    if best == 0:
        return None
    diff = value - best if goal == "min" else best - value
    # rounded far below anything shown, so a run exactly at a threshold by hand (0.6 vs 0.8
    # is 25 %, not 25.000000000000007 %) is not flagged by float noise
    return round(100.0 * diff / abs(best), 9)


def rank_key(
    value: float | None, goal: Goal, created_at: float, run_id: str
) -> tuple[int, float, float, str]:
    """Sort key: best value first, ties to the earlier run, runs without a value last."""
    if value is None:
        return (1, 0.0, created_at, run_id)
    return (0, value if goal == "min" else -value, created_at, run_id)


@dataclass(frozen=True)
class RunRank:
    """Where one run stands in its model group.

    `best_value` is this run's own best value of `metric`; `best_run` is the id of the group's
    best run (None when no run of the group has the metric)."""

    group_best: bool
    delta_pct: float | None
    metric: str | None
    best_value: float | None
    best_run: str | None = None
    goal: Goal | None = None


def _group_best(
    candidates: Sequence[RunRecord], values: Mapping[str, float | None], goal: Goal
) -> tuple[float | None, str | None]:
    """The best value and the run holding it: `min(candidates, key=rank_key)`, with the
    rank keys built only for the runs tied at the best value (10,000 runs rank per request)."""
    finite = [v for v in values.values() if v is not None]
    if not finite:
        return None, None
    best = min(finite) if goal == "min" else max(finite)
    tied = [r for r in candidates if values[r.id] == best]
    winner = min(tied, key=lambda r: rank_key(best, goal, r.created_at, r.id))
    return best, winner.id


def rank_in_groups(
    runs: Sequence[RunRecord],
    metric: str | None = None,
    peers: Mapping[str | None, GroupLeaders] | None = None,
) -> dict[str, RunRank]:
    """Group `runs` by model (runs without a model form one group) and rank each group.

    With no `metric`, each group uses its own deciding metric over the keys its runs logged,
    so a group that logs eval loss is ranked by it even when a fresh run has none yet (that
    run then has no delta rather than pulling the group onto train loss).

    `peers` (from Store.group_leaders) stands for the rest of each group: every run that
    matches a list's filters, not only the page in `runs`. The page is then ranked exactly as
    the whole list would be (same deciding metric, goals, best run and deltas) while only the
    runs at each group's extremes are read. Peers cover the loss keys, so pass no `metric`
    other than a loss with them. Only `runs` get a RunRank."""
    groups: dict[str | None, list[RunRecord]] = {}
    for r in runs:
        groups.setdefault(r.model, []).append(r)
    out: dict[str, RunRank] = {}
    for model, members in groups.items():
        lead = peers.get(model) if peers is not None else None
        keys: set[str] = set() if lead is None else set(lead.keys)
        goals: dict[str, str] = {} if lead is None else dict(lead.goals)
        candidates = list(members)
        for r in members:
            keys.update(r.summary)
            if lead is None:
                goals.update(r.goals)
            else:  # a run newer than the peers' read: its choices only fill gaps
                for k, g in r.goals.items():
                    goals.setdefault(k, g)
        if lead is not None:
            ids = {r.id for r in members}
            candidates += [r for r in lead.leaders if r.id not in ids]
        key = metric or deciding_metric(keys, goals)
        if key is None:
            for r in members:
                out[r.id] = RunRank(False, None, None, None)
            continue
        goal = metric_goal(key, goals)
        values = {r.id: best_value(r, key, goal) for r in candidates}
        best, best_id = _group_best(candidates, values, goal)
        deltas: dict[float | None, float | None] = {}  # runs often share values (re-runs)
        for r in members:
            v = values[r.id]
            d = deltas[v] if v in deltas else deltas.setdefault(v, delta_pct(v, best, goal))
            # positional: group_best, delta_pct, metric, best_value, best_run, goal
            out[r.id] = RunRank(r.id == best_id, d, key, v, best_id, goal)
    return out


def runs_worse_than(
    runs: Sequence[RunRecord],
    threshold_pct: float,
    model: str | None = None,
    metric: str | None = None,
) -> list[tuple[RunRecord, RunRank]]:
    """Runs more than `threshold_pct` percent worse than the best of their model group (the
    losers `trainboard archive --worse-than` clears away), worst first. With `model`, only
    that group. Runs without a value of the metric are never included (no evidence), nor runs
    still running (they are ranked among the others, but judged only once they end), nor a
    run a person chose (a choice is not undone by a sweep)."""
    if not math.isfinite(threshold_pct) or threshold_pct < 0:
        raise UsageError(f"--worse-than must be a percentage >= 0, got {threshold_pct!r}")
    pool = [r for r in runs if model is None or r.model == model]
    ranks = rank_in_groups(pool, metric)
    pool = [r for r in pool if effective_status(r) != "running"]  # judged when it ends
    out = [
        (r, ranks[r.id])
        for r in pool
        if not r.chosen
        and ranks[r.id].delta_pct is not None
        and (ranks[r.id].delta_pct or 0.0) > threshold_pct
    ]
    out.sort(key=lambda p: (-(p[1].delta_pct or 0.0), p[0].created_at, p[0].id))
    return out
