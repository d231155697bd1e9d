"""GET /api/v1/compare (and its exports) against a real uvicorn: the CLI's JSON, one error
shape, a 404 that names the unknown run."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path
from typing import Any

import httpx
import pytest

from trainboard.analysis.compare import compare
from trainboard.errors import UsageError
from trainboard.server.routes.compare import CompareSeriesOut
from trainboard.server.schemas import ComparedRunOut, CompareOut
from trainboard.store.base import Store
from trainboard.store.records import PointBatch, RunRecord
from trainboard.store.remote.store import RemoteStore


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
        j["recommendation"]["reasons"][0]
        == "lowest eval/loss (1.0000); runner-up <b>run-2</b> is +35.2% vs best"
    )
    same = compare(db, ["bbbbbbbbbbbb", "aaaaaaaaaaaa", "cccccccccccc"]).to_json()
    for k in ("metric", "best", "recommendation", "config_diff", "rows"):
        assert j[k] == same[k]
    # threshold adjustable: at 40 % run-2 is no longer warned
    j = api.get("/api/v1/compare", params={"runs": "aaaaaaaaaaaa,bbbbbbbbbbbb", "threshold": 40})
    assert j.json()["runs"][1]["warning"] is False


def test_compare_json_is_the_documented_model(api: httpx.Client, db: Store) -> None:
    """The UI's Compare types are generated from these models: every field a compared run
    carries is in ComparedRunOut (one added on one side only fails here), and a pruned
    Optuna trial compares like any run."""
    seed(db)
    db.create_run(RunRecord(id="dddddddddddd", project="p", name="trial-4", model="m",
                            status="pruned", created_at=4000.0, finished_at=4050.0))  # fmt: skip
    db.write_points("dddddddddddd", {"eval/loss": PointBatch.of([1], [4001.0], [1.5])})
    ids = "aaaaaaaaaaaa,bbbbbbbbbbbb,cccccccccccc,dddddddddddd"
    j = api.get("/api/v1/compare", params={"runs": ids}).json()
    CompareOut.model_validate(j)
    for run in j["runs"]:
        assert set(run) == set(ComparedRunOut.model_fields)
    assert {r["id"]: r["status"] for r in j["runs"]}["dddddddddddd"] == "pruned"
    series = api.get("/api/v1/compare/series", params={"runs": ids, "key": "eval/loss"})
    CompareSeriesOut.model_validate(series.json())


def test_compare_errors_share_the_shape(api: httpx.Client, db: Store) -> None:
    seed(db)
    r = api.get("/api/v1/compare", params={"runs": "aaaaaaaaaaaa,nope"})
    assert r.status_code == 404
    assert r.json() == {
        "error": {
            "status": 404,
            "code": "run_not_found",
            "message": "no run with id 'nope'",
            "run_id": "nope",
        }
    }
    r = api.get("/api/v1/compare", params={"runs": "aaaaaaaaaaaa", "metric": "acc"})
    assert r.status_code == 400 and r.json()["error"]["message"] == (
        "compare: metric 'acc' is not logged by any of the runs (logged: eval/loss)"
        "; a role works too: eval_loss, perplexity, quality, train_loss"
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


def test_compare_series_batches_every_runs_curve(api: httpx.Client, db: Store) -> None:
    seed(db)
    # a and b also log train/loss and tokens over 100 steps; c logs neither
    for rid, k in (("aaaaaaaaaaaa", 1.0), ("bbbbbbbbbbbb", 2.0)):
        steps = list(range(100))
        db.write_points(rid, {
            "train/loss": PointBatch.of(steps, [5000.0 + s for s in steps],
                                        [k + 1 / (s + 1) for s in steps]),
            "tokens": PointBatch.of(steps, [5000.0 + s for s in steps], [512.0 * s for s in steps]),
        })  # fmt: skip
    ids = "bbbbbbbbbbbb,cccccccccccc,aaaaaaaaaaaa"
    for x in ("step", "time", "tokens"):
        r = api.get(
            "/api/v1/compare/series",
            params={"runs": ids, "key": "train/loss", "max_points": 20, "x": x},
        )
        assert r.status_code == 200, r.text
        j = r.json()
        assert j["key"] == "train/loss" and j["x"] == x
        assert list(j["series"]) == ["bbbbbbbbbbbb", "cccccccccccc", "aaaaaaaaaaaa"]
        assert j["series"]["cccccccccccc"] is None  # never logged train/loss
        for rid in ("aaaaaaaaaaaa", "bbbbbbbbbbbb"):
            # the same columns (and x mapping) as the run's own series route
            one = api.get(f"/api/v1/runs/{rid}/series",
                          params={"keys": "train/loss", "max_points": 20, "x": x})  # fmt: skip
            assert j["series"][rid] == one.json()["series"]["train/loss"]
        got = j["series"]["aaaaaaaaaaaa"]
        assert got["total"] == 100 and got["downsampled"] and len(got["steps"]) <= 20
        assert got["steps"][-1] == 99  # the last point is kept
    tokens = api.get("/api/v1/compare/series",
                     params={"runs": ids, "key": "train/loss", "x": "tokens"}).json()  # fmt: skip
    a = tokens["series"]["aaaaaaaaaaaa"]
    assert a["x"] == [512.0 * s for s in a["steps"]] and len(a["steps"]) == 100
    # NaN travels as the API's string
    nan = api.get("/api/v1/compare/series", params={"runs": ids, "key": "eval/loss"}).json()
    assert nan["series"]["cccccccccccc"]["values"] == ["NaN"]


def test_compare_series_errors(api: httpx.Client, db: Store) -> None:
    seed(db)
    url = "/api/v1/compare/series"
    r = api.get(url, params={"runs": "aaaaaaaaaaaa,nope", "key": "eval/loss"})
    assert r.status_code == 404 and r.json()["error"]["message"] == "no run with id 'nope'"
    r = api.get(url, params={"runs": "aaaaaaaaaaaa,bbbbbbbbbbbb", "key": "acc"})
    assert r.status_code == 404 and r.json()["error"]["message"] == (
        "none of the runs aaaaaaaaaaaa, bbbbbbbbbbbb has a metric 'acc'"
    )
    r = api.get(url, params={"runs": "aaaaaaaaaaaa"})
    assert r.status_code == 400 and "key" in r.json()["error"]["message"]
    r = api.get(url, params={"runs": "aaaaaaaaaaaa", "key": "eval/loss", "max_points": 1})
    assert r.status_code == 400 and "max_points" in r.json()["error"]["message"]
    r = api.get(url, params={"runs": ",", "key": "eval/loss"})
    assert r.status_code == 400 and "expected comma-separated run ids" in r.text


def test_step_range_through_the_series_route_and_the_remote_store(
    server: Any, api: httpx.Client, db: Store, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    # compare() reads "the epoch at the best step" as a step range; through TRAINBOARD_URL
    # that read is the series route's start/end
    seed(db)
    r = api.get("/api/v1/runs/aaaaaaaaaaaa/series",
                params={"keys": "eval/loss", "start": 2, "end": 3})  # fmt: skip
    assert r.json()["series"]["eval/loss"]["steps"] == [2, 3]
    r = api.get("/api/v1/runs/aaaaaaaaaaaa/series",
                params={"keys": "eval/loss", "start": 3, "end": 2})  # fmt: skip
    assert r.status_code == 400 and r.json()["error"]["message"] == (
        "read_series: start must be <= end, got start=3, end=2"
    )
    monkeypatch.setenv("TRAINBOARD_HOME", str(tmp_path / "client"))
    remote = RemoteStore(server.url)
    try:
        s = remote.read_series("aaaaaaaaaaaa", "eval/loss", start=2)
        assert s.steps.tolist() == [2, 3] and s.values.tolist() == [1.0, 1.1] and s.total == 3
        with pytest.raises(UsageError):
            remote.read_series("aaaaaaaaaaaa", "eval/loss", start=3, end=2)
    finally:
        remote.close()


def test_compare_speed_rows_read_each_ranks_gpu_use_and_memory(
    api: httpx.Client, db: Store
) -> None:
    """The card's rule (analysis.card.gpu_keys): each rank's own GPU keys win over rank 0's
    node's `sys/gpu{i}/*`; memory is the peak of the busiest GPU."""
    seed(db)
    gpu = {
        "sys/gpu0/util": [10.0, 10.0],  # rank 0's node only: ignored beside the ranks' own
        "sys/gpu0/mem_used_gb": [1.0, 1.0],
        "sys/rank0/gpu/util": [60.0, 80.0],  # mean 70
        "sys/rank1/gpu/util": [90.0, 90.0],  # mean 90 -> 80 over the ranks
        "sys/rank0/gpu/mem_used_gb": [10.0, 12.5],
        "sys/rank1/gpu/mem_used_gb": [20.0, 30.25],  # peak 30.25
        "sys/rank1/gpu/mem_percent": [50.0, 75.6],
    }
    db.write_points(
        "aaaaaaaaaaaa", {k: PointBatch.of([1, 2], [1001.0, 1002.0], v) for k, v in gpu.items()}
    )
    r = api.get("/api/v1/compare", params={"runs": "aaaaaaaaaaaa,bbbbbbbbbbbb"})
    assert r.status_code == 200, r.text
    a, b = r.json()["runs"]
    assert a["gpu_util"] == 80.0 and a["gpu_mem_gb"] == 30.25 and a["gpu_mem_pct"] == 75.6
    assert a["text"]["gpu_util"] == "80.0%" and a["text"]["gpu_mem_gb"] == "30.2 GB (76%)"
    assert b["gpu_util"] is None and b["gpu_mem_gb"] is None and b["text"]["gpu_mem_gb"] == "—"
    rows = {row["key"]: row for row in r.json()["rows"]}
    assert rows["gpu_mem_gb"]["label"] == "GPU memory (peak)" and "gpu_util" in rows
    j = api.get("/api/v1/compare", params={"runs": "bbbbbbbbbbbb,cccccccccccc"}).json()
    assert not {"gpu_util", "gpu_mem_gb"} & {row["key"] for row in j["rows"]}  # none logged
    # the CSV export carries what the view shows, at full precision
    got = api.get("/api/v1/compare.csv", params={"runs": "aaaaaaaaaaaa,bbbbbbbbbbbb"})
    by_id = {x["id"]: x for x in csv.DictReader(io.StringIO(got.text))}
    a_csv, b_csv = by_id["aaaaaaaaaaaa"], by_id["bbbbbbbbbbbb"]
    assert (a_csv["gpu_util"], a_csv["gpu_mem_gb"], a_csv["gpu_mem_pct"]) == (
        "80.0",
        "30.25",
        "75.6",
    )
    assert b_csv["gpu_util"] == b_csv["gpu_mem_gb"] == b_csv["gpu_mem_pct"] == ""
