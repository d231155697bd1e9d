"""Compare runs side by side: the one entry point (`compare`) behind the API, the CLI and the
reports, and the pure `build_comparison` under it.

The parts live beside it: `analysis.rank` (best value, delta, ranking, runs worse than),
`analysis.table` (the table's columns, rows and cell texts), `analysis.recommend` (which run
to keep, and why), `analysis.configdiff` and `analysis.trend`. This module picks the deciding
metric once (`choose_metric`), reads what a summary cannot give (`gather_facts`: progress,
the epoch at the best step, GPU utilisation) and puts the parts together. Conventions: see
`analysis.rank`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from trainboard import roles
from trainboard.analysis.configdiff import ConfigDiff, config_diff, flatten_config
from trainboard.analysis.facts import RunFacts, best_step, gather_all, gather_facts
from trainboard.analysis.rank import (
    Group,
    RunRank,
    best_value,
    choose_measure,
    deciding_metric,
    delta_pct,
    group_of,
    group_text,
    measure_name,
    metric_goal,
    no_key_text,
    rank_in_groups,
    rank_key,
    run_key,
    runs_worse_than,
)
from trainboard.analysis.recommend import Recommendation, recommend
from trainboard.analysis.table import (
    CELL_FORMATS,
    ComparedRun,
    Row,
    best_at_text,
    cell_text,
    delta_text,
    table_rows,
)
from trainboard.analysis.tokenaxis import shared_x_keys
from trainboard.analysis.trend import Trend, improvement_trend, trend_of_group
from trainboard.errors import RunNotFoundError, UsageError
from trainboard.jsonvalues import spell_all
from trainboard.roles import MetricRole
from trainboard.roles.measure import Measure, measure_of, value_kind
from trainboard.store.base import Store
from trainboard.store.queries import RunQuery
from trainboard.store.records import Goal, RunRecord

__all__ = [
    "CELL_FORMATS",
    "DEFAULT_THRESHOLD_PCT",
    "Comparison",
    "ComparedRun",
    "Recommendation",
    "Row",
    "RunFacts",
    "RunRank",
    "best_at_text",
    "best_value",
    "build_comparison",
    "cell_text",
    "choose_measure",
    "choose_metric",
    "compare",
    "deciding_metric",
    "default_metric",
    "delta_pct",
    "delta_text",
    "final_perplexity",
    "gather_facts",
    "metric_goal",
    "rank_in_groups",
    "rank_key",
    "recommend",
    "runs_worse_than",
    "total_epochs",
    "train_loss_key",
]


# --- the side-by-side comparison ------------------------------------------------------------

DEFAULT_THRESHOLD_PCT = 25.0
_EPOCH_CONFIG_KEYS = ("num_epochs", "epochs", "num_train_epochs", "max_epochs", "n_epochs")
_LOSSES = ("train_loss", "eval_loss")


@dataclass
class Comparison:
    """The result of `compare`: the issue #4 contract (`to_json`) and what the table shows.

    `metric` is the measure the runs are compared on, by its id ("eval_loss",
    "eval_accuracy", or a key that is its own measure); `metric_text` how it reads ("eval
    loss"); each run's `key` is the key it logged for it. `measures` are the measures the
    runs can be compared on (the deciding metric's choices)."""

    metric: str | None
    goal: Goal
    best: str | None
    threshold_pct: float
    runs: list[ComparedRun]  # best first, then worse, then runs without a value
    rows: list[Row]
    recommendation: Recommendation
    config_diff: ConfigDiff
    models: list[str | None]
    keys: list[str] = field(default_factory=list)  # every metric the runs logged
    roles: dict[str, MetricRole] = field(default_factory=dict)  # what each key is
    train_loss_key: str | None = None  # the train loss measure (the curves' second chart)
    trends: list[tuple[Group, Trend]] = field(default_factory=list)  # (group, its trend)
    metric_text: str | None = None
    measures: list[tuple[str, str]] = field(default_factory=list)  # (id, text)
    x_keys: list[str] = field(default_factory=list)  # metrics the curves may be drawn against

    def run(self, run_id: str) -> ComparedRun:
        for r in self.runs:
            if r.id == run_id:
                return r
        raise RunNotFoundError(run_id)

    def to_json(self) -> dict[str, Any]:
        """JSON-safe (NaN and ±inf as the strings the API uses everywhere)."""
        d = {
            "metric": self.metric,
            "metric_text": self.metric_text,
            "goal": self.goal,
            "best": self.best,
            "threshold_pct": self.threshold_pct,
            "runs": [r.to_json() for r in self.runs],
            "rows": [r.to_json() for r in self.rows],
            "recommendation": self.recommendation.to_json(),
            "config_diff": self.config_diff.to_json(),
            "models": self.models,
            "keys": self.keys,
            "measures": [{"id": i, "text": t} for i, t in self.measures],
            "roles": {k: r.to_json() for k, r in self.roles.items()},
            "x_keys": self.x_keys,
            "train_loss_key": self.train_loss_key,
            "trends": [
                {"model": g[0], "group": group_text(g), **t.to_json()} for g, t in self.trends
            ],
        }
        return spell_all(d)  # type: ignore[no-any-return]


def train_loss_key(keys: Iterable[str], defined: Mapping[str, str] | None = None) -> str | None:
    """The train loss among `keys` (never an eval/validation loss): `roles.train_loss_key`."""
    return roles.train_loss_key(keys, defined)


def default_metric(keys: Iterable[str], goals: Mapping[str, str] | None = None) -> str | None:
    """`deciding_metric`, else a logged metric the run defined a goal for, so a comparison of
    runs that log no loss or quality metric still decides on something they chose."""
    present = sorted(set(keys))
    found = deciding_metric(present, goals)
    if found is not None:
        return found
    for k in present:
        r = roles.role_of(k, goals)
        if r.explicit and r.goal is not None and r.role != "system":
            return k
    return None


def total_epochs(run: RunRecord) -> float | None:
    """The epochs the run was set to train for (num_epochs, epochs, ... at any depth in the
    config), else the last epoch logged. When the config also caps the steps (`max_steps`
    above 0, which overrides the epochs in the Hugging Face Trainer and can in Lightning), the
    epochs actually run: the last epoch logged, when one was."""
    flat = flatten_config(run.config)
    key = roles.epoch_key(run.summary, run.goals)
    s = run.summary.get(key) if key is not None else None
    ran = float(s.max) if s is not None and math.isfinite(s.max) and s.max > 0 else None
    capped = any(
        (k == "max_steps" or k.endswith(".max_steps"))
        and isinstance(v, int | float)
        and not isinstance(v, bool)
        and v > 0
        for k, v in flat.items()
    )
    if capped and ran is not None:
        return round(ran, 2)
    for name in _EPOCH_CONFIG_KEYS:
        for k, v in flat.items():
            if (k == name or k.endswith("." + name)) and not isinstance(v, bool):
                if isinstance(v, int | float) and math.isfinite(v) and v > 0:
                    return float(v)
    return float(math.ceil(ran)) if ran is not None else None


def final_perplexity(run: RunRecord, key: str | None) -> float | None:
    """exp(the run's deciding key's final value) when that key is a loss, else a logged
    perplexity (the eval one first)."""
    is_loss = key is not None and roles.role_of(key, run.goals).role in _LOSSES
    if key is not None and is_loss and key in run.summary:
        last = run.summary[key].last
        try:
            return math.exp(last)
        except OverflowError:
            return math.inf
    ppl = roles.pick(run.summary, "perplexity", run.goals, "eval") or roles.pick(
        run.summary, "perplexity", run.goals
    )
    return None if ppl is None else float(run.summary[ppl].last)


def _raw_best(run: RunRecord, key: str | None, goal: Goal) -> float | None:
    """The run's value of `key` as the table shows it (NaN included, unlike `best_value`)."""
    if key is None or key not in run.summary:
        return None
    s = run.summary[key]
    if value_kind(key, run.goals) == "last":
        return float(s.last)
    return float(s.min if goal == "min" else s.max)


_STILL_RUNNING = "still running: archive or delete it once it has ended"


def _so_far(run: RunRecord) -> str:
    """ "so far, at step 140 of 2,000" (or "at step 140" without a total)."""
    if run.last_step is None:
        return "so far, no step yet"
    of = f" of {run.total_steps:,}" if run.total_steps else ""
    return f"so far, at step {run.last_step:,}{of}"


def _definitions(runs: Sequence[RunRecord]) -> dict[str, str]:
    """The runs' define_metric() choices, merged in selection order (a later run wins)."""
    goals: dict[str, str] = {}
    for r in runs:
        goals.update(r.goals)
    return goals


def choose_metric(runs: Sequence[RunRecord], metric: str | None = None) -> tuple[str | None, Goal]:
    """The measure of a comparison, by its id, and its goal (`choose_measure`: `metric`, a key
    or a role, stands for its measure; UsageError naming the keys logged when it is neither).
    Reads summaries only."""
    m = _measure(runs, metric)
    return (m.id, _goal(runs, m)) if m is not None else (None, "min")


def _measure(runs: Sequence[RunRecord], metric: str | Measure | None) -> Measure | None:
    if isinstance(metric, Measure):
        return metric
    try:
        return choose_measure(runs, metric)
    except UsageError as e:
        raise UsageError(f"compare: {e}") from None


def _goal(runs: Sequence[RunRecord], m: Measure) -> Goal:
    return m.goal(sorted({k for r in runs for k in r.summary}), _definitions(runs))


def _metric_id(measure: Measure | None, used: Iterable[str | None]) -> str | None:
    """The comparison's `metric`: the one key every run with a value used, else the measure's
    id (which `--metric` and /compare/series take back)."""
    if measure is None:
        return None
    keys = {k for k in used if k is not None}
    return keys.pop() if len(keys) == 1 else measure.id


def _measures(keys: Iterable[str], goals: Mapping[str, str]) -> list[tuple[str, str]]:
    """The measures the runs' keys can decide on, the deciding roles' first."""
    out: dict[str, str] = {}
    for k in sorted(keys):
        if roles.can_decide(k, goals):
            m = measure_of(k, goals)
            out.setdefault(m.id, m.text)
    return sorted(out.items())


def build_comparison(
    runs: Sequence[RunRecord],
    facts: Mapping[str, RunFacts],
    metric: str | Measure | None = None,
    threshold_pct: float = DEFAULT_THRESHOLD_PCT,
) -> Comparison:
    """The comparison of `runs` (in selection order) on `metric` (a key or a role standing for
    its measure; default: the deciding measure over every key they logged), each run on its
    own key for it. Pure: `facts` carries what was read from the store."""
    if not runs:
        raise UsageError("compare: expected at least one run id, got none")
    if not math.isfinite(threshold_pct) or threshold_pct < 0:
        raise UsageError(f"compare: threshold must be a percentage >= 0, got {threshold_pct!r}")
    goals = _definitions(runs)
    keys = {k for r in runs for k in r.summary}
    measure = _measure(runs, metric)
    goal = _goal(runs, measure) if measure is not None else "min"
    own = {r.id: run_key(r, measure) for r in runs}
    values = {r.id: best_value(r, k, goal) if (k := own[r.id]) else None for r in runs}
    order = sorted(
        range(len(runs)),
        key=lambda i: rank_key(values[runs[i].id], goal, runs[i].created_at, runs[i].id),
    )
    winner = runs[order[0]] if values[runs[order[0]].id] is not None else None
    best = values[winner.id] if winner else None
    compared: list[ComparedRun] = []
    for rank, i in enumerate(order, start=1):
        r = runs[i]
        f = facts.get(r.id) or RunFacts(status=r.status)
        v = values[r.id]
        key = own[r.id]
        step = best_step(r, key, goal) if key else None
        epochs = total_epochs(r)
        m = r.summary.get(key) if key else None
        d = delta_pct(v, best, goal)
        tl = train_loss_key(r.summary, r.goals)
        running = f.status == "running"
        compared.append(
            ComparedRun(
                id=r.id,
                name=r.name,
                project=r.project,
                model=r.model,
                status=f.status,
                archived=r.archived,
                chosen=r.chosen,
                created_at=r.created_at,
                index=i,
                rank=rank if v is not None else None,
                best_value=_raw_best(r, key, goal),
                best_step=step,
                best_epoch=f.epoch_at_best,
                total_epochs=epochs,
                total_steps=r.total_steps,
                best_at=best_at_text(step, f.epoch_at_best, epochs, r.total_steps),
                last_step=m.last_step if m else None,
                stopped_improving=(step < m.last_step) if m and step is not None else None,
                delta_pct=d,
                final_train_loss=float(r.summary[tl].last) if tl else None,
                final_perplexity=final_perplexity(r, key),
                duration_s=f.duration_s,
                steps_per_s=f.steps_per_s,
                tokens_per_s=f.tokens_per_s,
                tokens=f.tokens,
                gpu_util=f.gpu_util,
                gpu_mem_gb=f.gpu_mem_gb,
                gpu_mem_pct=f.gpu_mem_pct,
                trophy=winner is not None and r.id == winner.id,
                warning=d is not None and d > threshold_pct and not running,
                so_far=_so_far(r) if running else None,
                can_archive=not running,
                archive_note=_STILL_RUNNING if running else None,
                key=key,
                note=no_key_text(r, measure) if measure is not None and key is None else None,
            )  # fmt: skip
        )
    text = measure_name(measure, own.values()) if measure is not None else None
    rec = recommend(compared, text, goal, threshold_pct)
    # parameter effects rest on runs that ended: a running run's value is not its result
    ended = {c.id: (None if c.running else values[c.id]) for c in compared}
    diff = config_diff(runs, ended, text or "metric", goal)
    models = list(dict.fromkeys(r.model for r in runs))
    tl_key = train_loss_key(keys, goals)
    tl_measure = measure_of(tl_key, goals) if tl_key else None
    tl_used = [run_key(r, tl_measure) for r in runs]
    return Comparison(
        metric=_metric_id(measure, own.values()), goal=goal, best=winner.id if winner else None,
        threshold_pct=threshold_pct, runs=compared,
        rows=table_rows(compared, text, goal, mixed=len({k for k in own.values() if k}) > 1),
        recommendation=rec, config_diff=diff, models=models, keys=sorted(keys),
        roles=roles.roles_of(sorted(keys), goals),
        train_loss_key=_metric_id(tl_measure, tl_used),
        metric_text=text, measures=_measures(keys, goals),
    )  # fmt: skip


def group_trends(store: Store, groups: Sequence[Group], measure: Measure) -> list[Trend]:
    """The improvement trend of each group over all its runs: worked out by the store
    (Store.group_trends, in SQL, one statement for all the groups) where it can, else over
    the group's listed runs."""
    found = store.group_trends(groups, measure)
    return [
        trend_of_group(found[g], measure) if g in found else _listed_trend(store, g, measure)
        for g in groups
    ]


def group_trend(store: Store, group: Group, measure: Measure) -> Trend:
    """The improvement trend of one group (`group_trends`)."""
    return group_trends(store, [group], measure)[0]


def _listed_trend(store: Store, group: Group, measure: Measure) -> Trend:
    model, project = group
    q = RunQuery(model=model, archived=None) if model else RunQuery(project=project, archived=None)
    members = [r for r in store.list_runs(q) if group_of(r) == group]
    return improvement_trend(members, measure)


def _unique(run_ids: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(i.strip() for i in run_ids if i.strip()))


def compare(
    store: Store,
    run_ids: Iterable[str],
    metric: str | None = None,
    threshold_pct: float = DEFAULT_THRESHOLD_PCT,
    *,
    trends: bool = True,
    now: float | None = None,
) -> Comparison:
    """Compare stored runs (issue #4): the one entry point behind the API, CLI and reports.

    `metric` is a key or a role (see `build_comparison`). Unknown ids raise RunNotFoundError
    naming the first one; `trends` adds the improvement trend of each group in the selection
    (a model, or the project of runs without one) over all its runs (archived ones included:
    archiving the losers must not make the history look better)."""
    ids = _unique(run_ids)
    runs = [store.get_run(i) for i in ids]
    measure = _measure(runs, metric) if runs else None
    goal = _goal(runs, measure) if measure is not None else "min"
    keys = {r.id: run_key(r, measure) for r in runs}
    facts = gather_all(store, runs, keys, goal, now)
    result = build_comparison(runs, facts, measure, threshold_pct)
    result.x_keys = shared_x_keys(store, runs)
    if trends and measure is not None:
        groups = list(dict.fromkeys(group_of(r) for r in runs))
        result.trends.extend(zip(groups, group_trends(store, groups, measure), strict=True))
    return result
