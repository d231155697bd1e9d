"""Compare's improvement trend from the store's few columns (Store.group_values, SQL) is the
trend of the listed runs (improvement_trend), on SQLite and PostgreSQL."""

from __future__ import annotations

import math

from trainboard.analysis.compare import compare, group_trend
from trainboard.analysis.rank import choose_measure, group_of
from trainboard.analysis.trend import improvement_trend
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


def test_group_values_give_the_listed_runs_trend(store: Store) -> None:
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
        for group in (("m", None), (None, "p"), (None, "q"), ("other", None)):
            values = store.group_values(group[0], group[1], measure)
            assert values is not None
            want = improvement_trend(listed(store, group), measure).to_json()
            got = group_trend(store, group, measure).to_json()
            assert got.keys() == want.keys()
            for k in want:
                if k == "points":
                    assert [p["id"] for p in got[k]] == [p["id"] for p in want[k]]
                    for gp, wp in zip(got[k], want[k], strict=True):
                        assert all(same(gp[f], wp[f]) for f in wp), (gp, wp)
                else:
                    assert same(got[k], want[k]), (metric, group, k, got[k], want[k])
    m = choose_measure(every, None)
    assert m is not None
    ids = [v.id for v in store.group_values("m", None, m) or []]
    assert ids == ["r01", "r02", "r05", "r03", "r04", "r06", "r07"]
    t = group_trend(store, ("m", None), m)
    assert [p.value for p in t.points] == [2.5, None, 2.9, None, 2.2, 1.0, 2.1]


def test_a_group_with_its_own_goals_is_listed(store: Store) -> None:
    # r2 says its score is its last value: the listed runs' trend decides, not the SQL rows
    add(store, "r1", 1, {"eval/score": [0.5, 0.9]})
    add(store, "r2", 2, {"eval/score": [0.95, 0.6]}, goals={"eval/score": "max:last"})
    add(store, "r3", 3, {"eval/score": [0.7]})
    every = store.list_runs(RunQuery())
    measure = choose_measure(every, "eval/score")
    assert measure is not None
    assert store.group_values("m", None, measure) is None
    want = improvement_trend(listed(store, ("m", None)), measure)
    got = compare(store, ["r1", "r3"], "eval/score").trends[0][1]
    assert got.to_json() == want.to_json()
    assert [p.value for p in got.points] == [0.9, 0.6, 0.7]
