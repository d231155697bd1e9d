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
    RunRank,
    best_value,
    deciding_metric,
    delta_pct,
    metric_goal,
    rank_in_groups,
    rank_key,
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
from trainboard.analysis.trend import Trend, improvement_trend
from trainboard.errors import RunNotFoundError, UsageError
from trainboard.jsonvalues import spell_all
from trainboard.roles import MetricRole
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
    """The result of `compare`: the issue #4 contract (`to_json`) and what the table shows."""

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
    train_loss_key: str | None = None  # the runs' train loss (the curves' second chart)
    trends: list[tuple[str | None, Trend]] = field(default_factory=list)

    def run(self, run_id: str) -> ComparedRun:
        for r in self.runs:
            if r.id == run_id:
                return r
        raise RunNotFoundError(run_id)

    def to_json(self) -> dict[str, Any]:
        """JSON-safe (NaN and ±inf as the strings the API uses everywhere)."""
        d = {
            "metric": self.metric,
            "goal": self.goal,
            "best": self.best,
            "threshold_pct": self.threshold_pct,
            "runs": [r.to_json() for r in self.runs],
            "rows": [r.to_json() for r in self.rows],
            "recommendation": self.recommendation.to_json(),
            "config_diff": self.config_diff.to_json(),
            "models": self.models,
            "keys": self.keys,
            "roles": {k: r.to_json() for k, r in self.roles.items()},
            "train_loss_key": self.train_loss_key,
            "trends": [{"model": m, **t.to_json()} for m, t in self.trends],
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
    """From the config (num_epochs, epochs, ... at any depth), else the last epoch logged."""
    flat = flatten_config(run.config)
    for name in _EPOCH_CONFIG_KEYS:
        for k, v in flat.items():
            if (k == name or k.endswith("." + name)) and not isinstance(v, bool):
                if isinstance(v, int | float) and math.isfinite(v) and v > 0:
                    return float(v)
    key = roles.epoch_key(run.summary, run.goals)
    s = run.summary.get(key) if key is not None else None
    if s is not None and math.isfinite(s.max) and s.max > 0:
        return float(math.ceil(s.max))
    return None


def final_perplexity(run: RunRecord, metric: str | None) -> float | None:
    """exp(the metric's final value) when the metric is a loss, else a logged perplexity
    (the eval one first)."""
    is_loss = metric is not None and roles.role_of(metric, run.goals).role in _LOSSES
    if metric is not None and is_loss and metric in run.summary:
        last = run.summary[metric].last
        try:
            return math.exp(last)
        except OverflowError:
            return math.inf
    ppl = roles.pick(run.summary, "perplexity", run.goals, "eval") or roles.pick(
        run.summary, "perplexity", run.goals
    )
    return None if ppl is None else float(run.summary[ppl].last)


def _raw_best(run: RunRecord, metric: str | None, goal: Goal) -> float | None:
    if metric is None or metric not in run.summary:
        return None
    s = run.summary[metric]
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
    """The deciding metric of a comparison and its goal: `metric` when given (it must be
    logged by one of the runs: UsageError naming those logged), else `default_metric` over
    every key they logged. Reads summaries only."""
    goals = _definitions(runs)
    keys = {k for r in runs for k in r.summary}
    if metric is None:
        metric = default_metric(keys, goals)
    elif metric not in keys:
        logged = ", ".join(sorted(keys)) or "none"
        raise UsageError(
            f"compare: metric {metric!r} is not logged by any of the runs (logged: {logged})"
        )
    return metric, metric_goal(metric, goals) if metric else "min"


def build_comparison(
    runs: Sequence[RunRecord],
    facts: Mapping[str, RunFacts],
    metric: str | None = None,
    threshold_pct: float = DEFAULT_THRESHOLD_PCT,
) -> Comparison:
    """The comparison of `runs` (in selection order) on `metric` (default: `default_metric`
    over every key they logged). Pure: `facts` carries what was read from the store."""
    if not runs:
        raise UsageError("compare: expected at least one run id, got none")
    if not math.isfinite(threshold_pct) or threshold_pct < 0:
        raise UsageError(f"compare: threshold must be a percentage >= 0, got {threshold_pct!r}")
    goals = _definitions(runs)
    keys = {k for r in runs for k in r.summary}
    metric, goal = choose_metric(runs, metric)
    values = {r.id: best_value(r, metric, goal) if metric else None for r in runs}
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
        step = best_step(r, metric, goal) if metric and metric in r.summary else None
        epochs = total_epochs(r)
        m = r.summary.get(metric) if metric else None
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
                best_value=_raw_best(r, metric, goal),
                best_step=step,
                best_epoch=f.epoch_at_best,
                total_epochs=epochs,
                total_steps=r.total_steps,
                best_at=best_at_text(step, f.epoch_at_best, epochs, r.total_steps),
                last_step=m.last_step if m else None,
                stopped_improving=(step < m.last_step) if m and step is not None else None,
                delta_pct=d,
                final_train_loss=float(r.summary[tl].last) if tl else None,
                final_perplexity=final_perplexity(r, metric),
                duration_s=f.duration_s,
                steps_per_s=f.steps_per_s,
                tokens_per_s=f.tokens_per_s,
                tokens=f.tokens,
                gpu_util=f.gpu_util,
                trophy=winner is not None and r.id == winner.id,
                warning=d is not None and d > threshold_pct and not running,
                so_far=_so_far(r) if running else None,
                can_archive=not running,
                archive_note=_STILL_RUNNING if running else None,
            )  # fmt: skip
        )
    rec = recommend(compared, metric, goal, threshold_pct)
    # parameter effects rest on runs that ended: a running run's value is not its result
    ended = {c.id: (None if c.running else values[c.id]) for c in compared}
    diff = config_diff(runs, ended, metric or "metric", goal)
    models = list(dict.fromkeys(r.model for r in runs))
    return Comparison(
        metric=metric, goal=goal, best=winner.id if winner else None,
        threshold_pct=threshold_pct, runs=compared, rows=table_rows(compared, metric, goal),
        recommendation=rec, config_diff=diff, models=models, keys=sorted(keys),
        roles=roles.roles_of(sorted(keys), goals), train_loss_key=train_loss_key(keys, goals),
    )  # fmt: skip


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

    Unknown ids raise RunNotFoundError naming the first one; `trends` adds the improvement
    trend of each model group in the selection over all its runs (archived ones included:
    archiving the losers must not make the history look better)."""
    ids = _unique(run_ids)
    runs = [store.get_run(i) for i in ids]
    decided, goal = choose_metric(runs, metric) if runs else (metric, "min")
    facts = gather_all(store, runs, decided, goal, now)
    result = build_comparison(runs, facts, decided, threshold_pct)
    if trends and decided is not None:
        for model in result.models:
            group = (
                store.list_runs(RunQuery(model=model, archived=None))
                if model is not None
                else [r for r in runs if r.model is None]
            )
            result.trends.append((model, improvement_trend(group, decided)))
    return result
