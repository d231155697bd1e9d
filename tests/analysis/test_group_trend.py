"""Compare's improvement trend worked out in SQL (Store.group_trend, window functions) is the
trend of the listed runs (improvement_trend, the reference), on SQLite and PostgreSQL: on a
hand-made group with every edge (no value, never finite, infinities, another key of the
measure, ties of created_at, archived runs, groups without a model), and on random groups
large enough to be thinned, with few and with many new bests, for both goals."""

from __future__ import annotations

import math
import os

import numpy as np
import pytest

from trainboard.analysis.compare import compare, group_trend
from trainboard.analysis.rank import choose_measure, group_of
from trainboard.analysis.trend import TREND_POINTS, improvement_trend
from trainboard.store.base import Store
from trainboard.store.queries import RunQuery
from trainboard.store.records import PointBatch, RunRecord


def add(
    store: Store,
    rid: str,
    created: float,
    values: dict[str, list[float]],
    model: str | None = "m",
    project: str = "p",
    goals: dict[str, str] | None = None,
) -> None:
    store.create_run(
        RunRecord(id=rid, project=project, name=f"run-{rid}", model=model, status="finished",
                  created_at=created, goals=goals or {})
    )  # fmt: skip
    batches = {
        k: PointBatch.of(list(range(len(v))), [created + i for i in range(len(v))], v)
        for k, v in values.items()
    }
    if batches:
        store.write_points(rid, batches)


def listed(store: Store, group: tuple[str | None, str | None]) -> list[RunRecord]:
    model, project = group
    q = RunQuery(model=model, archived=None) if model else RunQuery(project=project, archived=None)
    return [r for r in store.list_runs(q) if group_of(r) == group]


def same(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    return a == b


def assert_same_trend(store: Store, group: tuple[str | None, str | None], measure: object) -> None:
    assert group in store.group_trends([group], measure)  # type: ignore[arg-type]
    want = improvement_trend(listed(store, group), measure).to_json()  # type: ignore[arg-type]
    got = group_trend(store, group, measure).to_json()  # type: ignore[arg-type]
    assert got.keys() == want.keys()
    for k in want:
        if k == "points":
            assert [p["id"] for p in got[k]] == [p["id"] for p in want[k]], group
            for gp, wp in zip(got[k], want[k], strict=True):
                assert all(same(gp[f], wp[f]) for f in wp), (gp, wp)
        else:
            assert same(got[k], want[k]), (group, k, got[k], want[k])


def test_group_trend_gives_the_listed_runs_trend(store: Store) -> None:
    inf, nan = math.inf, math.nan
    add(store, "r01", 10, {"eval/loss": [3.0, 2.5]})
    add(store, "r02", 20, {"train/loss": [9.0]})  # no eval loss: a point without a value
    add(store, "r03", 30, {"eval/loss": [nan, nan]})  # never finite
    add(store, "r04", 40, {"val_loss": [2.2, 2.4]})  # its own key for the measure
    add(store, "r05", 25, {"eval/loss": [2.9, inf]})  # created between r02 and r03
    add(store, "r06", 50, {"eval/loss": [2.0], "val_loss": [1.0]})  # val_loss is plainer
    add(store, "r07", 60, {"eval/loss": [2.1]})
    store.set_archived(["r07"], True)  # archived runs count
    add(store, "r08", 70, {"eval/loss": [1.5]}, model="other")
    add(store, "r09", 80, {"eval/loss": [1.9]}, model=None)
    add(store, "r10", 90, {"eval/loss": [1.8]}, model=None)
    add(store, "r11", 95, {"eval/loss": [1.7]}, model=None, project="q")
    add(store, "r12", 99, {"eval/loss": [1.6]}, model=None)
    add(store, "r13", 99, {"eval/loss": [1.6]}, model=None)  # a tie of created_at: by id
    every = store.list_runs(RunQuery(archived=None))
    for metric in (None, "eval/loss", "val_loss", "eval_loss"):
        measure = choose_measure(every, metric)
        assert measure is not None
        for group in (("m", None), (None, "p"), (None, "q"), ("other", None), ("none", None)):
            assert_same_trend(store, group, measure)
    m = choose_measure(every, None)
    assert m is not None
    t = group_trend(store, ("m", None), m)
    assert [p.id for p in t.points] == ["r01", "r02", "r05", "r03", "r04", "r06", "r07"]
    assert [p.value for p in t.points] == [2.5, None, 2.9, None, 2.2, 1.0, 2.1]
    assert t.verdict == "improving"


def _random_group(store: Store, rng: np.random.Generator, model: str, n: int, kind: str) -> None:
    """n runs of `model`: values falling (many new bests), noisy around a level (few), or
    rising; some without the key, some never finite, some on val_loss; ties of created_at."""
    todo = []
    for j in range(n):
        # ties of created_at (the id decides); a noisy group's runs in any order
        created = float(1000 + (int(rng.integers(0, n)) if kind == "noisy" else j // 3))
        rid = os.urandom(6).hex()
        u = rng.uniform()
        if kind == "falling":
            v = 10.0 - j * 0.001 + float(rng.normal(0, 0.0005))
        elif kind == "rising":
            v = 1.0 + j * 0.01 + float(rng.normal(0, 0.5))
        else:
            v = 2.0 + float(rng.normal(0, 1))
        if u < 0.05:
            values: dict[str, list[float]] = {"train/loss": [1.0]}  # no eval loss
        elif u < 0.08:
            values = {"eval/loss": [math.nan]}
        elif u < 0.10:
            values = {"eval/loss": [math.inf, -math.inf]}
        elif u < 0.2:
            values = {"val_loss": [v, v + 1]}
        else:
            values = {"eval/loss": [v + 0.5, v, v + 0.25]}
        if u > 0.15:
            values["eval/accuracy"] = [-v, -v - 0.1]
        batches = {
            k: PointBatch.of(list(range(len(vs))), [created + i for i in range(len(vs))], vs)
            for k, vs in values.items()
        }
        rec = RunRecord(id=rid, project="p", name=f"{model}-{j}", model=model,
                        status="finished", created_at=created)  # fmt: skip
        todo.append((rec, batches))
    store.import_runs(todo)


@pytest.mark.parametrize("seed", [1])
def test_random_groups_give_the_listed_runs_trend(store: Store, seed: int) -> None:
    rng = np.random.default_rng(seed)
    sizes = {"falling": 700, "noisy": 500, "rising": 351, "small": 40, "one": 1}
    for model, n in sizes.items():
        _random_group(store, rng, model, n, model if model != "small" else "noisy")
    every = store.list_runs(RunQuery(limit=50))
    for metric in ("eval_loss", "val_loss", "eval/loss", "eval_accuracy"):
        measure = choose_measure(every, metric)
        assert measure is not None
        for model in sizes:
            assert_same_trend(store, (model, None), measure)
    m = choose_measure(every, "eval_loss")
    assert m is not None
    falling = group_trend(store, ("falling", None), m)
    assert len(falling.points) < TREND_POINTS + 3
    assert sum(p.new_best for p in falling.points) >= TREND_POINTS // 2  # thinned bests
    assert falling.verdict == "improving"
    assert group_trend(store, ("rising", None), m).verdict == "getting worse"
    acc = choose_measure(every, "eval_accuracy")  # the goal is max: the highest is best
    assert acc is not None
    t = group_trend(store, ("falling", None), acc)
    assert (t.goal, t.verdict) == ("max", "improving")


def test_a_group_with_its_own_goals_is_listed(store: Store) -> None:
    # r2 says its score is its last value: the listed runs' trend decides, not the SQL rows
    add(store, "r1", 1, {"eval/score": [0.5, 0.9]})
    add(store, "r2", 2, {"eval/score": [0.95, 0.6]}, goals={"eval/score": "max:last"})
    add(store, "r3", 3, {"eval/score": [0.7]})
    every = store.list_runs(RunQuery())
    measure = choose_measure(every, "eval/score")
    assert measure is not None
    assert store.group_trends([("m", None)], measure) == {}
    want = improvement_trend(listed(store, ("m", None)), measure)
    got = compare(store, ["r1", "r3"], "eval/score").trends[0][1]
    assert got.to_json() == want.to_json()
    assert [p.value for p in got.points] == [0.9, 0.6, 0.7]
