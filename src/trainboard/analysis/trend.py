"""Is the person getting better? The deciding metric's best value across a group's runs.

Runs are taken in the order they were made. Each point carries the run's best value and the
best so far; the verdict compares the best of the later half of the runs with the best of the
earlier half: more than `FLAT_PCT` percent better is "improving", more than that worse is
"getting worse", otherwise "flat". Best-of-half rather than the last run alone, because one
exploratory run that failed should not read as a regression.

A group may hold 20,000 runs: the verdict is over all of them, but `points` (what the Compare
page draws in a 360-pixel line) keeps at most about `TREND_POINTS`: the first and last run,
the runs that set a new best (evenly chosen among them when there are more), and runs evenly
spaced between. `trend_of_group` is the same trend from a store's `group_trend` (a SQL store
works out the figures and the kept points with window functions, store/sql/trends.py); the
verdict's words are written here for both, and tests/analysis/test_group_trend.py holds the
two to the same points on random groups.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from trainboard.analysis import format as fmt
from trainboard.analysis.rank import best_value, choose_measure, delta_pct, measure_name
from trainboard.roles.measure import Measure
from trainboard.store.queries import TREND_POINTS, GroupTrend
from trainboard.store.records import Goal, RunRecord

__all__ = [
    "FLAT_PCT",
    "TREND_POINTS",
    "Trend",
    "TrendPoint",
    "improvement_trend",
    "trend_of_group",
]

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
    trend.metric = measure_name(measure, own.values())
    values = []
    for r in ordered:
        key = own[r.id]
        v = best_value(r, key, goal) if key is not None else None
        values.append((r.id, r.name, r.created_at, v))
    return _judge(trend, values)


def trend_of_group(g: GroupTrend, measure: Measure) -> Trend:
    """`improvement_trend` of a group whose runs define no goals of their own, from what
    `Store.group_trend` works out (the figures and the kept points)."""
    trend = Trend(metric=measure_name(measure, g.used), goal=g.goal)
    trend.points = [TrendPoint(*p) for p in g.points]
    return _verdict(trend, g.logged, g.early, g.late)


def _judge(trend: Trend, values: Sequence[tuple[str, str, float, float | None]]) -> Trend:
    """Fill in `trend` from each run's best value, oldest run first: the points (thinned),
    the verdict and its text."""
    goal = trend.goal
    best: float | None = None
    points: list[TrendPoint] = []
    for rid, rname, created, v in values:
        new = v is not None and (best is None or (v < best if goal == "min" else v > best))
        if new:
            best = v
        points.append(TrendPoint(rid, rname, created, v, best, new))
    trend.points = _thin(points)
    logged = [p.value for p in points if p.value is not None]
    half = len(logged) // 2
    pick = min if goal == "min" else max
    early = pick(logged[:half]) if half else None
    late = pick(logged[half:]) if logged else None
    return _verdict(trend, len(logged), early, late)


def _verdict(trend: Trend, logged: int, early: float | None, late: float | None) -> Trend:
    """The verdict and its text from `logged` runs with a value, the best of the first
    `logged // 2` of them (`early`) and the best of the rest (`late`)."""
    goal, name = trend.goal, trend.metric
    if logged < 3 or early is None or late is None:
        trend.text = f"{logged} runs with {name}: at least 3 are needed for a trend"
        return trend
    half = logged // 2
    worse = delta_pct(late, early, goal)  # positive: the later runs are worse
    change = None if worse is None else -worse
    trend.change_pct = change
    word = "lowest" if goal == "min" else "highest"
    numbers = (
        f"{word} {name} of the last {logged - half} runs {fmt.number(late)} vs "
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


def _thin(points: list[TrendPoint]) -> list[TrendPoint]:
    """At most about TREND_POINTS of `points`, in order: the first and last, the new bests
    (evenly chosen among them past half the budget), and the rest evenly spaced."""
    n = len(points)
    if n <= TREND_POINTS:
        return points
    half = TREND_POINTS // 2
    bests = [i for i, p in enumerate(points) if p.new_best]
    if len(bests) > half:
        bests = [bests[math.floor(j * len(bests) / half)] for j in range(half)]
    spaced = range(0, n, math.ceil(n / (TREND_POINTS - len(bests) - 2)))
    keep = sorted({0, n - 1, *bests, *spaced})
    return [points[i] for i in keep]
