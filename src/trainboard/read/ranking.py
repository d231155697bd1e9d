"""Which run is best, and the sweep table, for `Runs.best` / `Api.best_run` / `summary_frame`.

Why `build_comparison`: it is the Compare page's own ranking (deciding metric, goal from the
metric's role or define_metric(), best value per run, ties to the earlier run), and it is pure
over summaries. The runs go in without their configs, so only the ranking and not the
config diff costs anything; the winner is `Comparison.best`, the run the page crowns.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from trainboard.errors import NotFoundError
from trainboard.read.filters import config_value

if TYPE_CHECKING:
    from trainboard.read.run import StoredRun
    from trainboard.store.records import Goal, RunRecord


def _light(r: RunRecord) -> RunRecord:
    """What ranking reads of a run: id, names, status, created_at, goals, summaries."""
    from trainboard.store.records import RunRecord

    return RunRecord(
        r.id, r.project, r.name, model=r.model, status=r.status, created_at=r.created_at,
        goals=r.goals, summary=r.summary, total_steps=r.total_steps,
    )  # fmt: skip


def best_id(records: Callable[[], Iterable[RunRecord]], metric: str | None, where: str) -> str:
    """The id of the best of the runs `records()` yields. Raise
    NotFoundError when no run matches or none has a finite value of the metric, UsageError
    (naming the logged metrics) when no run logged `metric`."""
    from trainboard.analysis.compare import build_comparison

    light = [_light(r) for r in records()]
    if not light:
        raise NotFoundError(f"no runs match {where}")
    c = build_comparison(light, {}, metric)
    if c.metric is None:
        logged = ", ".join(c.keys) or "none"
        raise NotFoundError(
            f"cannot tell which of the {len(light)} runs matching {where} is best: they logged "
            f"no loss and no metric with a known goal (logged: {logged}); pass metric="
        )
    if c.best is None:
        raise NotFoundError(
            f"none of the {len(light)} runs matching {where} has a finite value of {c.metric!r}"
        )
    return c.best


def _columns(
    runs: Sequence[StoredRun], columns: Sequence[str] | None
) -> list[tuple[str, str, str]]:
    """(column name, "config" or "summary", key) for each column asked for."""
    from trainboard.analysis.configdiff import flatten_config

    config_keys: dict[str, None] = {}
    metric_keys: set[str] = set()
    for r in runs:
        config_keys.update(dict.fromkeys(flatten_config(r.config)))
        metric_keys.update(r.summary)
    if columns is None:
        return [(f"config.{k}", "config", k) for k in config_keys] + [
            (f"summary.{k}", "summary", k) for k in sorted(metric_keys)
        ]
    out = []
    for name in columns:
        if name.startswith("config."):
            out.append((name, "config", name.removeprefix("config.")))
        elif name.startswith("summary.") and name.removeprefix("summary.") in metric_keys:
            out.append((name, "summary", name.removeprefix("summary.")))
        elif any(config_value(r.config, name)[0] for r in runs):
            out.append((name, "config", name))
        elif name in metric_keys:
            out.append((name, "summary", name))
        else:
            raise NotFoundError(
                f"summary_frame(): no run has a config value or metric {name!r} (config: "
                f"{', '.join(config_keys) or 'none'}; metrics: "
                f"{', '.join(sorted(metric_keys)) or 'none'})"
            )
    return out


def _metric_cell(r: StoredRun, key: str, value: str, goal: Goal) -> float:
    from trainboard.analysis.rank import best_value

    s = r.summary.get(key)
    if s is None:
        return math.nan
    if value == "best":
        v = best_value(r.record, key, goal)
        return math.nan if v is None else v
    return float(getattr(s, value))


def summary_table(
    runs: Sequence[StoredRun], columns: Sequence[str] | None, value: str, fixed: Sequence[str]
) -> tuple[list[str], list[dict[str, Any]]]:
    """Ids and one row per run for `Runs.summary_frame`."""
    from trainboard.analysis.rank import metric_goal

    cols = _columns(runs, columns)
    goals: dict[str, str] = {}
    for r in runs:
        goals.update(r.goals)
    metric_goals = {key: metric_goal(key, goals) for _, kind, key in cols if kind == "summary"}
    rows = []
    for r in runs:
        row: dict[str, Any] = {f: getattr(r, f) for f in fixed}
        for name, kind, key in cols:
            if kind == "config":
                found, v = config_value(r.config, key)
                row[name] = v if found else None
            else:
                row[name] = _metric_cell(r, key, value, metric_goals[key])
        rows.append(row)
    return [r.id for r in runs], rows
