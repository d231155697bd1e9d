"""A sweep (an Optuna study, or any set of runs) as a hyperparameter search: which parameters
were searched, each run's objective, and the best trial. GET /api/v1/sweep returns it; the
Sweep page draws the table, the objective against each parameter, and parallel coordinates.

The objective is a run's *final* value of the metric (`value="last"`, Optuna's meaning: the
value the trial returned, logged last by trainboard.integrations.optuna), or its best value
over the run (`value="best"`, the Compare page's meaning); a failed run has none (what it
logged before failing is no result); a pruned run keeps its last report, drawn as pruned.
The metric is the one asked for, else the key the runs define explicitly with a goal (the
Optuna callback defines its objective with the study's direction), else the deciding metric
(roles). Only runs that finished can be the best trial: a pruned trial's last report and a
failed trial's last value are not results.

Parameters are the flattened config keys (dots for nesting) whose values differ between the
runs, numeric when every value is a number (log-scaled when all are positive and span at least
two decades, as a learning rate searched on a log scale does), categorical otherwise.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from trainboard import roles
from trainboard.analysis.compare import best_value
from trainboard.analysis.configdiff import flatten_config
from trainboard.analysis.status import effective_status
from trainboard.errors import UsageError
from trainboard.store.records import Goal, RunRecord

__all__ = ["Sweep", "SweepParam", "SweepRun", "build_sweep", "objective_metric"]

SweepValue = Literal["last", "best"]
MAX_METRICS = 30  # other metric columns offered
_LOG_SPAN = 100.0  # max/min at or above this (all positive): a log-scaled parameter


@dataclass
class SweepParam:
    name: str
    kind: Literal["number", "category"]
    log: bool = False
    values: list[str] = field(default_factory=list)  # categories, in first-seen order


@dataclass
class SweepRun:
    id: str
    name: str
    status: str
    created_at: float
    params: dict[str, Any]
    objective: float | None
    metrics: dict[str, float | None]


@dataclass
class Sweep:
    metric: str | None
    goal: Goal
    value: SweepValue
    params: list[SweepParam]
    metrics: list[str]
    runs: list[SweepRun]
    best: str | None
    counts: dict[str, int]


def objective_metric(runs: Sequence[RunRecord]) -> str | None:
    """The key most runs define explicitly with a goal (the study's objective), else the
    deciding metric over every key the runs logged."""
    defined: Counter[str] = Counter()
    for r in runs:
        for key, d in r.goals.items():
            if roles.parse_definition(d)[1] is not None and key in r.summary:
                defined[key] += 1
    if defined:
        return sorted(defined, key=lambda k: (-defined[k], k))[0]
    goals: dict[str, str] = {}
    for r in runs:
        goals.update(r.goals)
    return roles.deciding_metric({k for r in runs for k in r.summary}, goals)


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _params(flat: Sequence[Mapping[str, Any]], wanted: Sequence[str] | None) -> list[SweepParam]:
    keys: dict[str, None] = {}
    for f in flat:
        keys.update(dict.fromkeys(f))
    names = list(wanted) if wanted else sorted(keys)
    out = []
    for name in names:
        values = [f[name] for f in flat if f.get(name) is not None]
        if not values or any(isinstance(v, list | dict) for v in values):
            continue
        distinct = {repr(v) for v in values}
        if not wanted and len(flat) > 1 and len(distinct) < 2:
            continue  # the same in every run: not searched
        if all(_is_number(v) for v in values):
            lo, hi = min(values), max(values)
            out.append(SweepParam(name, "number", log=lo > 0 and hi / lo >= _LOG_SPAN))
        else:
            cats = list(dict.fromkeys(str(v) for v in values))
            out.append(SweepParam(name, "category", values=cats))
    return out


def _value(run: RunRecord, metric: str | None, goal: Goal, value: SweepValue) -> float | None:
    if metric is None or metric not in run.summary:
        return None
    if value == "best":
        return best_value(run, metric, goal)
    return float(run.summary[metric].last)


def build_sweep(
    runs: Sequence[RunRecord],
    metric: str | None = None,
    params: Sequence[str] | None = None,
    value: str = "last",
    now: float | None = None,
) -> Sweep:
    """The sweep over `runs` (see the module docs). Pure but for the clock (for "crashed")."""
    if value not in ("last", "best"):
        raise UsageError(f"sweep: value must be 'last' or 'best', got {value!r}")
    keys = {k for r in runs for k in r.summary}
    if metric is not None and metric not in keys:
        logged = ", ".join(sorted(keys)) or "none"
        raise UsageError(f"sweep: metric {metric!r} is not logged by any of the runs ({logged})")
    metric = metric or objective_metric(runs)
    goals: dict[str, str] = {}
    for r in runs:
        goals.update(r.goals)
    goal: Goal = (roles.goal_of(metric, goals) or "min") if metric else "min"
    flat = [flatten_config(r.config) for r in runs]
    found = _params(flat, params)
    others = sorted(k for k in keys if k != metric and not roles.is_system(k, goals))
    others = others[:MAX_METRICS]
    now = time.time() if now is None else now
    out: list[SweepRun] = []
    for r, f in zip(runs, flat, strict=True):
        status = effective_status(r, now)
        out.append(
            SweepRun(
                id=r.id,
                name=r.name,
                status=status,
                created_at=r.created_at,
                params={p.name: f.get(p.name) for p in found},
                objective=None if status == "failed" else _value(r, metric, goal, value),  # type: ignore[arg-type]
                metrics={k: float(r.summary[k].last) if k in r.summary else None for k in others},
            )
        )
    return Sweep(
        metric=metric,
        goal=goal,
        value=value,  # type: ignore[arg-type]
        params=found,
        metrics=others,
        runs=out,
        best=_best(out, goal),
        counts=dict(Counter(r.status for r in out)),
    )


def _best(runs: Sequence[SweepRun], goal: Goal) -> str | None:
    """The finished run with the best finite objective (the earliest on a tie)."""
    done = [
        r for r in runs if r.status == "finished" and r.objective is not None
        and math.isfinite(r.objective)
    ]  # fmt: skip
    if not done:
        return None
    sign = 1.0 if goal == "min" else -1.0
    return min(done, key=lambda r: (sign * (r.objective or 0.0), r.created_at, r.id)).id
