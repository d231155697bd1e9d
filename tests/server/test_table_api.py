"""GET /api/v1/table: the Runs page's table sorted by any column over every matching run (not
one page), with hyperparameter and metric columns; against a real uvicorn."""

from __future__ import annotations

import httpx

from trainboard.store.base import Store
from trainboard.store.records import PointBatch, RunRecord

T0 = 1_700_000_000.0


def _add(db: Store, rid: str, model: str, lr: float | None, evals: list[float], at: float) -> None:
    config = {"optim": {"lr": lr}, "name": rid} if lr is not None else {}
    db.create_run(RunRecord(id=rid, project="p", name=rid, model=model, created_at=at,
                            status="finished", finished_at=at + 10, config=config))  # fmt: skip
    steps = list(range(len(evals)))
    db.write_points(rid, {"eval/loss": PointBatch.of(steps, [at + s for s in steps], evals)})


def _seed(db: Store) -> None:
    _add(db, "run000000001", "m1", 3e-4, [2.0, 1.5], T0 + 1)
    _add(db, "run000000002", "m2", 1e-5, [1.2, 1.4], T0 + 2)
    _add(db, "run000000003", "m1", None, [1.9, 1.8], T0 + 3)
    _add(db, "run000000004", "m2", 1e-3, [0.9, 1.0], T0 + 4)


def _ids(body: dict[str, object]) -> list[str]:
    return [r["id"] for r in body["runs"]]


def test_sorted_by_a_hyperparameter_over_every_page(api: httpx.Client, db: Store) -> None:
    _seed(db)
    q = {"sort": "config.optim.lr", "desc": "false", "columns": "config.optim.lr", "limit": "2"}
    first = api.get("/api/v1/table", params=q).json()
    second = api.get("/api/v1/table", params=q | {"offset": "2"}).json()
    assert first["total"] == 4
    # lowest lr first across both pages; the run without an lr last either way
    assert _ids(first) + _ids(second) == [
        "run000000002", "run000000001", "run000000004", "run000000003",
    ]  # fmt: skip
    assert first["cells"]["run000000002"] == {"config.optim.lr": 1e-5}
    assert second["cells"]["run000000003"] == {"config.optim.lr": None}
    assert "optim.lr" in first["config_columns"] and first["metric_columns"] == ["eval/loss"]
    desc = api.get("/api/v1/table", params=q | {"desc": "true", "limit": "4"}).json()
    assert _ids(desc) == ["run000000004", "run000000001", "run000000002", "run000000003"]


def test_metric_column_is_the_best_value_and_groups_keep_together(
    api: httpx.Client, db: Store
) -> None:
    _seed(db)
    q = {"sort": "metric.eval/loss", "desc": "false", "columns": "metric.eval/loss"}
    body = api.get("/api/v1/table", params=q).json()
    # eval/loss is a loss: its column is each run's lowest value
    assert [body["cells"][i]["metric.eval/loss"] for i in _ids(body)] == [0.9, 1.2, 1.5, 1.8]
    grouped = api.get("/api/v1/table", params=q | {"group": "true"}).json()
    assert [r["model"] for r in grouped["runs"]] == ["m1", "m1", "m2", "m2"]
    assert _ids(grouped) == ["run000000001", "run000000003", "run000000004", "run000000002"]
    # the ranking is the list's: the best run of each model is marked
    best = {r["id"] for r in grouped["runs"] if r["group_best"]}
    assert best == {"run000000001", "run000000004"}


def test_an_unknown_column_is_refused_by_name(api: httpx.Client, db: Store) -> None:
    r = api.get("/api/v1/table", params={"sort": "nope"})
    assert r.status_code == 400, r.text
    assert "unknown column 'nope'" in r.json()["error"]["message"]
