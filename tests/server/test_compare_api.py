"""GET /api/v1/compare (and its exports) against a real uvicorn: the CLI's JSON, one error
shape, a 404 that names the unknown run."""

from __future__ import annotations

import csv
import io
import math

import httpx

from trainboard.analysis.compare import compare
from trainboard.store.base import PointBatch, RunRecord, Store


def add(db: Store, rid: str, name: str, losses: list[float], created: float) -> None:
    db.create_run(RunRecord(id=rid, project="p", name=name, model="m", status="finished",
                            created_at=created, finished_at=created + 50.0,
                            config={"lr": len(losses) * 1e-4 + created}))  # fmt: skip
    steps = list(range(1, len(losses) + 1))
    db.write_points(rid, {"eval/loss": PointBatch.of(steps, [created + s for s in steps], losses)})


def seed(db: Store) -> None:
    # best eval loss: a 1.0, b 1.352 (+35.2 %), c NaN only
    add(db, "aaaaaaaaaaaa", "run-1", [1.2, 1.0, 1.1], 1000.0)
    add(db, "bbbbbbbbbbbb", "<b>run-2</b>", [1.4, 1.352], 2000.0)
    add(db, "cccccccccccc", "run-3", [math.nan], 3000.0)


def test_compare_json_is_the_cli_json(api: httpx.Client, db: Store) -> None:
    seed(db)
    r = api.get("/api/v1/compare", params={"runs": "bbbbbbbbbbbb,aaaaaaaaaaaa,cccccccccccc"})
    assert r.status_code == 200, r.text
    j = r.json()
    assert j["metric"] == "eval/loss" and j["goal"] == "min" and j["best"] == "aaaaaaaaaaaa"
    assert [x["id"] for x in j["runs"]] == ["aaaaaaaaaaaa", "bbbbbbbbbbbb", "cccccccccccc"]
    assert math.isclose(j["runs"][1]["delta_pct"], 35.2) and j["runs"][1]["warning"] is True
    assert j["runs"][2]["best_value"] == "NaN" and j["runs"][2]["delta_pct"] is None
    assert (
        j["recommendation"]["reasons"][0] == "lowest eval/loss (1.0000), 26.0% below <b>run-2</b>"
    )
    same = compare(db, ["bbbbbbbbbbbb", "aaaaaaaaaaaa", "cccccccccccc"]).to_json()
    for k in ("metric", "best", "recommendation", "config_diff", "rows"):
        assert j[k] == same[k]
    # threshold adjustable: at 40 % run-2 is no longer warned
    j = api.get("/api/v1/compare", params={"runs": "aaaaaaaaaaaa,bbbbbbbbbbbb", "threshold": 40})
    assert j.json()["runs"][1]["warning"] is False


def test_compare_errors_share_the_shape(api: httpx.Client, db: Store) -> None:
    seed(db)
    r = api.get("/api/v1/compare", params={"runs": "aaaaaaaaaaaa,nope"})
    assert r.status_code == 404
    assert r.json() == {
        "error": {"status": 404, "code": "run_not_found", "message": "no run with id 'nope'"}
    }
    r = api.get("/api/v1/compare", params={"runs": "aaaaaaaaaaaa", "metric": "acc"})
    assert r.status_code == 400 and r.json()["error"]["message"] == (
        "compare: metric 'acc' is not logged by any of the runs (logged: eval/loss)"
    )
    r = api.get("/api/v1/compare", params={"runs": " , "})
    assert r.status_code == 400 and "expected comma-separated run ids" in r.text
    r = api.get("/api/v1/compare", params={"runs": "aaaaaaaaaaaa", "threshold": -5})
    assert r.status_code == 400 and r.json()["error"]["code"] == "bad_request"
    r = api.get("/api/v1/compare", params={"runs": "aaaaaaaaaaaa", "metrc": "x"})
    assert r.status_code == 400 and "'metrc'" in r.json()["error"]["message"]


def test_compare_exports(api: httpx.Client, db: Store) -> None:
    seed(db)
    q = {"runs": "aaaaaaaaaaaa,bbbbbbbbbbbb"}
    r = api.get("/api/v1/compare.csv", params=q)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [x["name"] for x in rows] == ["run-1", "<b>run-2</b>"]
    r = api.get("/api/v1/compare.md", params=q)
    assert r.status_code == 200 and "**Keep run-1** (`aaaaaaaaaaaa`):" in r.text
    r = api.get("/api/v1/compare.html", params=q)
    assert (
        r.status_code == 200 and "&lt;b&gt;run-2&lt;/b&gt;" in r.text and "<b>run-2" not in r.text
    )
    assert "attachment" in r.headers["content-disposition"]
