"""GET /api/v1/runs ranks a page against every run that matches the filters, and sort=model
keeps a model's runs together; against a real uvicorn."""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from trainboard.analysis.compare import rank_in_groups
from trainboard.analysis.rank import group_peers
from trainboard.store.base import Store
from trainboard.store.queries import RunQuery
from trainboard.store.records import PointBatch, RunRecord
from trainboard.store.remote.store import RemoteStore


def _add(db: Store, rid: str, model: str | None, at: float, evals: list[float]) -> None:
    db.create_run(RunRecord(id=rid, project="p", name=rid, model=model, created_at=at,
                            status="finished", finished_at=at + 10))  # fmt: skip
    steps = list(range(len(evals)))
    db.write_points(rid, {"eval/loss": PointBatch.of(steps, [at + s for s in steps], evals)})


def _standing(run: dict[str, Any]) -> tuple[Any, ...]:
    return (run["group_best"], run["delta_to_best_pct"], run["best_eval_loss"], run["eval_key"])


def test_a_model_paged_one_run_per_page_ranks_as_unpaged(api: httpx.Client, db: Store) -> None:
    now = time.time() - 1000
    _add(db, "a" * 12, "m", now, [2.0, 1.2])
    _add(db, "b" * 12, "m", now + 1, [1.5, 0.9])  # the best
    _add(db, "c" * 12, "m", now + 2, [1.8])
    whole = api.get("/api/v1/runs").json()
    assert whole["total"] == 3
    want = {r["id"]: _standing(r) for r in whole["runs"]}
    assert want["b" * 12] == (True, 0.0, 0.9, "eval/loss")
    assert want["c" * 12][:2] == (False, 100.0)
    for sort in ("created", "model"):
        for offset in range(3):
            body = api.get("/api/v1/runs", params={"limit": 1, "offset": offset, "sort": sort})
            page = body.json()
            assert page["total"] == 3 and len(page["runs"]) == 1
            run = page["runs"][0]
            assert _standing(run) == want[run["id"]], (sort, offset)


def test_sort_model_keeps_each_model_together_newest_first(api: httpx.Client, db: Store) -> None:
    now = time.time() - 1000
    for i, model in enumerate(["y", "x", None, "y", "x"]):
        _add(db, f"{i:012x}", model, now + i, [1.0 + i])
    got = api.get("/api/v1/runs", params={"sort": "model"}).json()["runs"]
    assert [(r["model"], r["id"][-1]) for r in got] == [
        ("x", "4"),
        ("x", "1"),
        ("y", "3"),
        ("y", "0"),
        (None, "2"),
    ]
    assert [r["group_best"] for r in got] == [False, True, False, True, True]
    created = api.get("/api/v1/runs", params={"sort": "created"}).json()["runs"]
    assert [r["id"][-1] for r in created] == ["4", "3", "2", "1", "0"]
    bad = api.get("/api/v1/runs", params={"sort": "name"})
    assert bad.status_code == 400 and "sort" in bad.json()["error"]["message"]


def test_the_list_spells_non_finite_summaries_and_keeps_finite_ones(
    api: httpx.Client, db: Store
) -> None:
    now = float(int(time.time()) - 1000)  # whole seconds: times are stored to the microsecond
    _add(db, "a" * 12, "m", now, [1.0, math.nan])
    _add(db, "b" * 12, "m", now + 1, [2.0, 1.5])
    runs = {r["id"]: r for r in api.get("/api/v1/runs").json()["runs"]}
    nan_run = runs["a" * 12]["summary"]["eval/loss"]
    assert nan_run["last"] == "NaN" and nan_run["min"] == 1.0 and nan_run["count"] == 2
    assert runs["b" * 12]["summary"]["eval/loss"] == {
        "count": 2, "last": 1.5, "last_step": 1, "min": 1.5, "min_step": 1, "max": 2.0,
        "max_step": 0, "first_time": now + 1, "last_time": now + 2,
    }  # fmt: skip
    assert runs["a" * 12]["progress"]["elapsed_text"] == "10s"
    assert runs["a" * 12]["group_best"] and runs["b" * 12]["delta_to_best_pct"] == 50.0


def test_fields_row_leaves_out_config_summary_and_roles_only(api: httpx.Client, db: Store) -> None:
    now = time.time() - 1000
    _add(db, "a" * 12, "m", now, [2.0, 1.2])
    _add(db, "b" * 12, "m", now + 1, [1.5])
    full = api.get("/api/v1/runs", params={"fields": "all", "limit": 1, "offset": 1}).json()
    row = api.get("/api/v1/runs", params={"fields": "row", "limit": 1, "offset": 1}).json()
    assert row["total"] == full["total"] == 2
    (f,), (r,) = full["runs"], row["runs"]
    heavy = {"config", "summary", "roles", "keys_by_role", "colors"}  # from the roles
    assert set(f) - set(r) == heavy
    assert (
        f["summary"]["eval/loss"]["count"] == 2 and f["roles"]["eval/loss"]["role"] == "eval_loss"
    )
    for volatile in ("duration_s", "progress"):  # elapsed time moves between the two requests
        f.pop(volatile), r.pop(volatile)
    assert {k: v for k, v in f.items() if k not in heavy} == r
    assert api.get("/api/v1/runs", params={"fields": "some"}).status_code == 400


def test_a_remote_store_lists_sorted_by_model_and_ranks_pages_with_its_leaders(
    server: Any, db: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRAINBOARD_HOME", str(tmp_path / "client"))  # the remote store's spool
    now = time.time() - 1000
    for i, (model, best) in enumerate([("y", 1.0), ("x", 2.0), ("y", 0.5), ("x", 3.0)]):
        _add(db, f"{i:012x}", model, now + i, [best + 1, best])
    remote = RemoteStore(server.url)
    try:
        listed = remote.list_runs(RunQuery(sort="model"))
        assert [(r.model, r.id[-1]) for r in listed] == [
            ("x", "3"),
            ("x", "1"),
            ("y", "2"),
            ("y", "0"),
        ]
        page = remote.list_runs(RunQuery(sort="model", limit=1, offset=3))
        ranked = rank_in_groups(page, peers=group_peers(remote, RunQuery(), page))
        assert ranked["0" * 12].best_run == "000000000002" and ranked["0" * 12].delta_pct == 100.0
    finally:
        remote.close()


def test_keyset_pages_and_id_prefix_through_the_api_and_a_remote_store(
    server: Any, db: Store, api: httpx.Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRAINBOARD_HOME", str(tmp_path / "client"))
    now = time.time() - 1000
    for i in range(5):
        _add(db, f"{i:012x}", "m", now + i, [1.0 + i])
    first = api.get("/api/v1/runs", params={"limit": 2}).json()
    last = first["runs"][-1]
    cursor = f"{last['created_at']!r},{last['id']}"
    second = api.get("/api/v1/runs", params={"limit": 2, "after": cursor}).json()
    assert [r["id"][-1] for r in first["runs"] + second["runs"]] == ["4", "3", "2", "1"]
    assert second["total"] == 5  # every matching run, not those after the cursor
    bad = api.get("/api/v1/runs", params={"after": "yesterday"})
    assert bad.status_code == 400 and "after" in bad.json()["error"]["message"]
    remote = RemoteStore(server.url)
    try:
        page = remote.list_runs(RunQuery(limit=2, after=(last["created_at"], last["id"])))
        assert [r.id[-1] for r in page] == ["2", "1"]
        assert [r.id for r in remote.list_runs(RunQuery(id_prefix="0000000000"))] == [
            f"{i:012x}" for i in range(4, -1, -1)
        ]
    finally:
        remote.close()


def test_facets_count_per_project_status_model_under_the_run_filters(
    api: httpx.Client, db: Store
) -> None:
    now = time.time() - 1000
    _add(db, "a" * 12, "m", now, [1.0])
    _add(db, "b" * 12, None, now + 1, [1.0])
    db.create_run(RunRecord(id="c" * 12, project="q", name="c", model="m", created_at=now + 2))
    got = api.get("/api/v1/facets").json()
    assert got == {
        "total": 3,
        "project": {"p": 2, "q": 1},
        "status": {"finished": 2, "running": 1},
        "model": {"m": 2, "": 1},
    }
    db.set_archived(["a" * 12], True)
    assert api.get("/api/v1/facets", params={"project": "p"}).json()["model"] == {"": 1}
    archived = api.get("/api/v1/facets", params={"archived": "true"}).json()
    assert archived["total"] == 1 and archived["project"] == {"p": 1}
    bad = api.get("/api/v1/facets", params={"status": "sleeping"})
    assert bad.status_code == 400 and "status" in bad.text


def test_the_count_says_when_it_is_a_lower_bound(
    server: Any, api: httpx.Client, db: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Filters the kept counts answer are exact however many runs; a name search or tag past
    the cap is counted up to it and says so (total_exact false), in the API and in-process."""
    from trainboard.server.routes import runs as runs_route

    now = time.time() - 1000
    for i in range(5):
        _add(db, f"{i:012x}", "m", now + i, [1.0 + i])
    db.update_run(f"{0:012x}", status="failed")
    page = api.get("/api/v1/runs", params={"limit": 2, "search": "0000"}).json()
    assert (page["total"], page["total_exact"], len(page["runs"])) == (5, True, 2)
    failed = api.get("/api/v1/runs", params={"limit": 1, "status": "finished"}).json()
    assert (failed["total"], failed["total_exact"]) == (4, True)
    table = api.get("/api/v1/table", params={"limit": 2, "sort": "name", "tag": "x"}).json()
    assert (table["total"], table["total_exact"], table["runs"]) == (0, True, [])
    monkeypatch.setattr(runs_route, "COUNT_CAP", 3)
    q = RunQuery(search="0000", limit=1)
    assert runs_route.page_total(db, q, 0, False) == (3, False)
    assert runs_route.page_total(db, q, 0, True) == (5, True)
    assert runs_route.page_total(db, RunQuery(limit=1), 0, False) == (5, True)
    assert runs_route.page_total(db, RunQuery(search="0000", limit=2), 2, False) == (4, False)
    monkeypatch.setenv("TRAINBOARD_HOME", str(tmp_path / "client"))  # the remote's spool
    remote = RemoteStore(server.url)
    try:
        assert remote.count_runs(RunQuery(search="0000")) == 5
    finally:
        remote.close()
