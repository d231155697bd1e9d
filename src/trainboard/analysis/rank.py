"""Which run is best, and how far each run is from it: ranking from run summaries alone.

Ranking reads run summaries only (no point reads), so the Runs page can rank 10,000 runs per
request; the comparison (`analysis.compare`) and the trend (`analysis.trend`) build on it.

Conventions shared by the API, the CLI and the reports:

- Runs are compared on a *measure* (trainboard.roles.measure): the eval loss, the train loss,
  an eval accuracy..., whatever each run's tool called it. It defaults to the eval loss when a
  run logged one, else the train loss, else an eval quality metric; a metric a person names
  (a key or a role) stands for its measure. Each run's value comes from its own key for the
  measure (`run_key`); a run without one has no value, and says so (`no_key_text`).
- A run's value is its best value of that key: the summary minimum for a "min" goal, the
  maximum for a "max" goal, or its last value when the run defined the key's result as its
  final one (an Optuna trial's objective: `roles.value_kind`). A non-finite value (NaN, ±inf)
  counts as no value: such a run is never best and has no delta.
- Runs are ranked within their group: the runs of one model, or, for runs without a model,
  the runs of one project (`group_of`): an HF run, a Lightning run and an Optuna trial of
  different projects are not ranked against each other.
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
from dataclasses import dataclass, replace

from trainboard import roles
from trainboard.analysis.status import effective_status
from trainboard.errors import UsageError
from trainboard.roles.measure import Measure, deciding_measure, parse_metric, value_kind
from trainboard.store.base import Store
from trainboard.store.queries import GroupLeaders, RunQuery
from trainboard.store.records import Goal, RunRecord

__all__ = [
    "Group",
    "RunRank",
    "best_value",
    "choose_measure",
    "deciding_metric",
    "delta_pct",
    "group_of",
    "group_peers",
    "group_text",
    "measure_name",
    "metric_goal",
    "no_key_text",
    "pick_measure",
    "rank_in_groups",
    "rank_key",
    "run_key",
    "runs_worse_than",
]

Group = tuple[str | None, str | None]
"""A ranking group: (model, None) for runs of a model, (None, project) for runs without one."""


def group_of(run: RunRecord) -> Group:
    """The group `run` is ranked in: its model, else its project."""
    return (run.model, None) if run.model is not None else (None, run.project)


def group_text(group: Group) -> str:
    """How a group reads: its model, or "<project> (no model)"."""
    model, project = group
    return model if model is not None else f"{project} (no model)"


def group_peers(
    store: Store, query: RunQuery, runs: Iterable[RunRecord]
) -> dict[Group, GroupLeaders]:
    """Store.group_leaders for the groups of `runs` over every run `query` matches: one read
    for the models, one per project of the runs without a model."""
    rs = list(runs)
    models = {r.model for r in rs if r.model is not None}
    out: dict[Group, GroupLeaders] = {}
    if models:
        for m, leaders in store.group_leaders(query, models).items():
            out[(m, None)] = leaders
    for project in sorted({r.project for r in rs if r.model is None}):
        if query.project is not None and query.project != project:
            continue
        found = store.group_leaders(replace(query, project=project), [None]).get(None)
        if found is not None:
            out[(None, project)] = found
    return out


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
    """The run's value of `metric` from its summary: its best (min or max by `goal`), or its
    last when the run defined the key's result as its final value; None when absent or not
    finite."""
    s = run.summary.get(metric)
    if s is None:
        return None
    if value_kind(metric, run.goals) == "last":
        v = s.last
    else:
        v = s.min if goal == "min" else s.max
    if v is None or not math.isfinite(v):
        return None
    return float(v)


def run_key(run: RunRecord, measure: Measure | None) -> str | None:
    """The run's own key for `measure` (None: it logged none)."""
    if measure is None:
        return None
    return measure.key_in(run.summary, run.goals)


def no_key_text(run: RunRecord, measure: Measure) -> str:
    """Why a run has no value: "no eval loss logged" (its keys are on its own page)."""
    return f"no {measure.text} logged"


def measure_name(measure: Measure, used: Iterable[str | None]) -> str:
    """How the measure reads where runs are compared on it: the one key every run that has a
    value used ("eval/loss", as before roles), else the measure in words ("eval loss")."""
    keys = {k for k in used if k is not None}
    return keys.pop() if len(keys) == 1 else measure.text


def choose_measure(runs: Sequence[RunRecord], metric: str | None = None) -> Measure | None:
    """The measure `runs` are compared on (`pick_measure` over their keys and definitions)."""
    return pick_measure([r.summary for r in runs], metric, _merged_goals(runs))


def pick_measure(
    keysets: Sequence[Iterable[str]], metric: str | None, defined: Mapping[str, str]
) -> Measure | None:
    """What `metric` (a key or a role) stands for, else the deciding measure over every key
    logged, else a key the runs defined a goal for; None when nothing has a direction.
    UsageError naming the logged keys when `metric` is neither a key logged, a measure of
    one, nor a deciding role."""
    logged = sorted({k for ks in keysets for k in ks})
    if metric is None:
        found = deciding_measure([logged], defined)
        if found is not None:
            return found
        for k in logged:
            r = roles.role_of(k, defined)
            if r.explicit and r.goal is not None and r.role != "system":
                return parse_metric(k, [logged], defined)
        return None
    m = parse_metric(metric, [logged], defined)
    if m is None:
        raise UsageError(
            f"metric {metric!r} is not logged by any of the runs (logged: "
            f"{', '.join(logged) or 'none'}); a role works too: "
            f"{', '.join(sorted(roles.DECIDING_ROLES))}"
        )
    return m


def _merged_goals(runs: Iterable[RunRecord]) -> dict[str, str]:
    goals: dict[str, str] = {}
    for r in runs:
        goals.update(r.goals)
    return goals


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
    """Where one run stands in its group (`group_of`).

    `metric` is the run's own key for the group's measure (None: it has none, and `note` says
    why); `best_value` is this run's value of it; `best_run` is the id of the group's best run
    (None when no run of the group has a value); `measure` how the measure reads ("eval loss",
    "eval accuracy")."""

    group_best: bool
    delta_pct: float | None
    metric: str | None
    best_value: float | None
    best_run: str | None = None
    goal: Goal | None = None
    measure: str | None = None
    note: str | None = None


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
    peers: Mapping[Group, GroupLeaders] | None = None,
) -> dict[str, RunRank]:
    """Group `runs` (`group_of`: by model, runs without one by project) and rank each group.

    With no `metric`, each group uses its own deciding measure over the keys its runs logged,
    so a group that logs an eval loss is ranked by it even when a fresh run has none yet (that
    run then has no value rather than pulling the group onto train loss). `metric` (a key or a
    role) stands for its measure in every group that logged it.

    `peers` (`group_peers`) stands for the rest of each group: every run that matches a list's
    filters, not only the page in `runs`. The page is then ranked exactly as the whole list
    would be (same measure, goals, best run and deltas) while only the runs at each group's
    extremes are read. Peers cover the deciding keys, so pass no `metric` other than one of
    those with them. Only `runs` get a RunRank."""
    groups: dict[Group, list[RunRecord]] = {}
    for r in runs:
        groups.setdefault(group_of(r), []).append(r)
    out: dict[str, RunRank] = {}
    for group, members in groups.items():
        lead = peers.get(group) if peers is not None else None
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
        measure = (
            pick_measure([keys], None, goals)
            if metric is None
            else parse_metric(metric, [keys], goals)
        )
        if measure is None:
            for r in members:
                out[r.id] = RunRank(False, None, None, None)
            continue
        goal = measure.goal(sorted(keys), goals)
        own = {r.id: measure.key_in(r.summary, goals) for r in candidates}
        values: dict[str, float | None] = {}
        for r in candidates:
            own_key = own[r.id]
            values[r.id] = best_value(r, own_key, goal) if own_key is not None else None
        best, best_id = _group_best(candidates, values, goal)
        name = "eval loss" if measure.role == "eval_loss" else measure_name(measure, own.values())
        deltas: dict[float | None, float | None] = {}  # runs often share values (re-runs)
        for r in members:
            v = values[r.id]
            d = deltas[v] if v in deltas else deltas.setdefault(v, delta_pct(v, best, goal))
            mine = own[r.id]
            note = no_key_text(r, measure) if mine is None else None
            out[r.id] = RunRank(r.id == best_id, d, mine, v, best_id, goal, name, note)
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
