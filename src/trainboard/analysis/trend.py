"""Is the person getting better? The deciding metric's best value across a group's runs.

Runs are taken in the order they were made. Each point carries the run's best value and the
best so far; the verdict compares the best of the later half of the runs with the best of the
earlier half: more than `FLAT_PCT` percent better is "improving", more than that worse is
"getting worse", otherwise "flat". Best-of-half rather than the last run alone, because one
exploratory run that failed should not read as a regression.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from trainboard.analysis import format as fmt
from trainboard.analysis.rank import best_value, choose_measure, delta_pct, measure_name
from trainboard.roles.measure import Measure
from trainboard.store.records import Goal, RunRecord

__all__ = ["FLAT_PCT", "Trend", "TrendPoint", "improvement_trend"]

FLAT_PCT = 1.0
Verdict = Literal["improving", "flat", "getting worse", "not enough runs"]


@dataclass
class TrendPoint:
    id: str
    name: str
    created_at: float
    value: float | None  # the run's best value (None: not logged or not finite)
    best_so_far: float | None
    new_best: bool  # this run set a new best


@dataclass
class Trend:
    metric: str | None
    goal: Goal
    points: list[TrendPoint] = field(default_factory=list)
    verdict: Verdict = "not enough runs"
    change_pct: float | None = None  # later half's best vs earlier half's, positive = better
    text: str = ""

    def to_json(self) -> dict[str, Any]:
        d = dict(self.__dict__)
        d["points"] = [dict(p.__dict__) for p in self.points]
        return d


def improvement_trend(runs: Sequence[RunRecord], metric: str | Measure | None = None) -> Trend:
    """The trend of `metric` (a key or a role standing for its measure; default: the deciding
    measure) over `runs` in creation order, each run on its own key for it."""
    ordered = sorted(runs, key=lambda r: (r.created_at, r.id))
    goals: dict[str, str] = {}
    for r in ordered:
        goals.update(r.goals)
    measure = metric if isinstance(metric, Measure) else choose_measure(ordered, metric)
    goal = (
        measure.goal(sorted({k for r in ordered for k in r.summary}), goals) if measure else "min"
    )
    trend = Trend(metric=measure.text if measure else None, goal=goal)
    if measure is None:
        trend.text = "no loss metric logged: nothing to follow"
        return trend
    own = {r.id: measure.key_in(r.summary, goals) for r in ordered}
    name = measure_name(measure, own.values())
    trend.metric = name
    best: float | None = None
    for r in ordered:
        key = own[r.id]
        v = best_value(r, key, goal) if key is not None else None
        new = v is not None and (best is None or (v < best if goal == "min" else v > best))
        if new:
            best = v
        trend.points.append(TrendPoint(r.id, r.name, r.created_at, v, best, new))
    values = [p.value for p in trend.points if p.value is not None]
    if len(values) < 3:
        trend.text = f"{len(values)} runs with {name}: at least 3 are needed for a trend"
        return trend
    half = len(values) // 2
    pick = min if goal == "min" else max
    early, late = pick(values[:half]), pick(values[half:])
    worse = delta_pct(late, early, goal)  # positive: the later runs are worse
    change = None if worse is None else -worse
    trend.change_pct = change
    word = "lowest" if goal == "min" else "highest"
    numbers = (
        f"{word} {name} of the last {len(values) - half} runs {fmt.number(late)} vs "
        f"{fmt.number(early)} for the first {half}"
    )  # the same digits as the comparison table
    if change is None or abs(change) <= FLAT_PCT:
        trend.verdict = "flat"
        trend.text = f"flat: {numbers}" + ("" if change is None else f" ({change:+.1f}%)")
    elif change > 0:
        trend.verdict = "improving"
        trend.text = f"improving: {numbers} ({change:.1f}% better)"
    else:
        trend.verdict = "getting worse"
        trend.text = f"getting worse: {numbers} ({-change:.1f}% worse)"
    return trend
