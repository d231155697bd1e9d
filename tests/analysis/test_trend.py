"""Improvement trend over a model group's runs, against numbers worked out by hand."""

from __future__ import annotations

import math

from trainboard.analysis.trend import TREND_POINTS, improvement_trend
from trainboard.store.records import MetricSummary, RunRecord


def run(rid: str, created: float, value: float | None, key: str = "eval/loss") -> RunRecord:
    summary = {}
    if value is not None:
        summary[key] = MetricSummary(1, value, 1, value, 1, value, 1, 0.0, 0.0)
    return RunRecord(id=rid, project="p", name=f"run-{rid}", model="m", created_at=created,
                     summary=summary)  # fmt: skip


def test_improving_with_best_so_far() -> None:
    # creation order 3.0, 2.8, 2.9, 2.5, 2.4 (given out of order on purpose)
    runs = [run("e", 5, 2.4), run("a", 1, 3.0), run("c", 3, 2.9), run("b", 2, 2.8),
            run("d", 4, 2.5)]  # fmt: skip
    t = improvement_trend(runs)
    assert t.metric == "eval/loss" and t.goal == "min"
    assert [p.id for p in t.points] == ["a", "b", "c", "d", "e"]
    assert [p.best_so_far for p in t.points] == [3.0, 2.8, 2.8, 2.5, 2.4]
    assert [p.new_best for p in t.points] == [True, True, False, True, True]
    # first 2 runs: best 2.8; last 3: best 2.4 -> (2.8 - 2.4) / 2.8 = 14.2857 % better
    assert t.verdict == "improving"
    assert math.isclose(t.change_pct or 0, 100 * 0.4 / 2.8)
    assert t.text == (
        "improving: lowest eval/loss of the last 3 runs 2.4000 vs 2.8000 for the first 2 "
        "(14.3% better)"
    )


def test_getting_worse() -> None:
    # 2.0, 2.1 | 2.5, 2.6 -> late best 2.5 vs 2.0: 25 % worse
    t = improvement_trend([run("a", 1, 2.0), run("b", 2, 2.1), run("c", 3, 2.5), run("d", 4, 2.6)])
    assert t.verdict == "getting worse"
    assert math.isclose(t.change_pct or 0, -25.0)
    assert t.text.endswith("(25.0% worse)")


def test_flat_and_missing_values() -> None:
    # 2.0 | 2.0, 2.01 with a run lacking the metric in between: 0 % change -> flat
    t = improvement_trend(
        [run("a", 1, 2.0), run("x", 2, None), run("b", 3, 2.0), run("c", 4, 2.01)]
    )
    assert t.verdict == "flat" and t.change_pct == 0.0
    assert t.points[1].value is None and t.points[1].best_so_far == 2.0
    assert not t.points[1].new_best


def test_nan_is_no_value_and_max_goal() -> None:
    # accuracy (max): 0.5, NaN, 0.6, 0.7 -> values 0.5 | 0.6, 0.7: (0.7 - 0.5) / 0.5 = 40 % better
    runs = [run("a", 1, 0.5, "eval/acc"), run("b", 2, math.nan, "eval/acc"),
            run("c", 3, 0.6, "eval/acc"), run("d", 4, 0.7, "eval/acc")]  # fmt: skip
    t = improvement_trend(runs, metric="eval/acc")
    assert t.goal == "max" and t.points[1].value is None
    assert t.verdict == "improving" and math.isclose(t.change_pct or 0, 40.0)


def test_too_few_runs() -> None:
    t = improvement_trend([run("a", 1, 2.0), run("b", 2, 1.0)])
    assert t.verdict == "not enough runs" and t.change_pct is None
    assert t.text == "2 runs with eval/loss: at least 3 are needed for a trend"
    t = improvement_trend([run("a", 1, None)])
    assert t.metric is None and t.verdict == "not enough runs"


def test_a_long_trend_keeps_its_verdict_and_thins_its_points() -> None:
    # 1,000 runs: the value falls by 1 every 100 runs (10 new bests), else rises slowly
    runs = [run(f"r{i:04d}", i, 100.0 - i // 100 + (i % 100) / 1000) for i in range(1000)]
    t = improvement_trend(runs)
    assert len(t.points) <= TREND_POINTS + 2
    ids = [p.id for p in t.points]
    assert ids[0] == "r0000" and ids[-1] == "r0999" and ids == sorted(ids)
    # every run that set a new best is drawn: the first of each hundred
    assert [p.id for p in t.points if p.new_best] == [f"r{i:04d}" for i in range(0, 1000, 100)]
    # the verdict is over every run: lowest of the first 500 is 96.0, of the last 500 91.0
    assert t.verdict == "improving" and "of the last 500 runs" in t.text
    assert math.isclose(t.change_pct or 0, 100 * 5.0 / 96.0)


def test_a_trend_of_only_new_bests_keeps_a_sample_of_them() -> None:
    runs = [run(f"r{i:04d}", i, 1000.0 - i) for i in range(2000)]
    t = improvement_trend(runs)
    assert len(t.points) <= TREND_POINTS + 2
    assert t.points[0].id == "r0000" and t.points[-1].id == "r1999"
    assert all(p.new_best for p in t.points)
