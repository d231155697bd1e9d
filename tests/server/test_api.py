"""The JSON API against a real uvicorn: every route, the error shape, parameters, 404s."""

from __future__ import annotations

import math
import time
from typing import Any

import httpx
import numpy as np
import pytest

from trainboard.store.base import Store
from trainboard.store.records import (
    ArtifactRecord,
    HistogramRecord,
    PointBatch,
    RunRecord,
    TextRecord,
)

A = "a1b2c3d4e5f6"
B = "b1b2c3d4e5f6"
C = "c1b2c3d4e5f6"
N = 1000


def _seed(db: Store) -> None:
    now = time.time() - 100
    db.create_run(
        RunRecord(
            id=A, project="qwen-sft", name="lr3e-5", model="Qwen/Qwen2.5-7B-Instruct",
            created_at=now, total_steps=2000, tags=["sweep-1"], config={"lr": 3e-5},
        )
    )  # fmt: skip
    db.create_run(
        RunRecord(id=B, project="qwen-sft", name="lr1e-4", model="Qwen/Qwen2.5-7B-Instruct",
                  created_at=now + 1, tags=["sweep-1"])
    )  # fmt: skip
    db.create_run(RunRecord(id=C, project="other", name="<img src=x onerror=alert(1)>",
                            created_at=now + 2))  # fmt: skip
    steps = np.arange(N)
    times = now + steps * 0.05
    loss = np.linspace(3.0, 1.0, N)
    loss[500] = 50.0  # a spike that downsampling must keep
    db.write_points(
        A,
        {
            "train/loss": PointBatch(steps, times, loss),
            "tokens": PointBatch(steps, times, steps * 100.0),
            "eval/loss": PointBatch.of([100, 200, 300], [now] * 3, [2.0, math.nan, 1.5]),
        },
    )
    db.write_points(B, {"eval/loss": PointBatch.of([100, 200], [now] * 2, [2.5, 2.0])})
    db.write_texts(A, [TextRecord("samples", 100, now, "<b>Once</b> upon a time")])
    db.write_histograms(
        A,
        [
            HistogramRecord(
                "weights/layer0", 100, now, [0.0, 1.0, 2.0], [3.0, 4.0], 0.0, 2.0, 7, 8.5
            )
        ],
    )


@pytest.fixture
def seeded(db: Store) -> Store:
    _seed(db)
    return db


def test_runs_list_shows_each_run_with_its_standing_in_its_model_group(
    api: httpx.Client, seeded: Store
) -> None:
    body = api.get("/api/v1/runs").json()
    assert body["total"] == 3
    runs = {r["id"]: r for r in body["runs"]}
    assert [r["id"] for r in body["runs"]] == [C, B, A]  # newest first
    a, b = runs[A], runs[B]
    assert a["name"] == "lr3e-5" and a["tags"] == ["sweep-1"] and a["config"] == {"lr": 3e-5}
    assert a["eval_key"] == "eval/loss" and a["best_eval_loss"] == 1.5
    assert a["group_best"] is True and a["delta_to_best_pct"] == 0.0
    assert b["group_best"] is False and b["delta_to_best_pct"] == pytest.approx(100 * 0.5 / 1.5)
    assert a["summary"]["eval/loss"]["count"] == 3
    assert a["summary"]["train/loss"]["max"] == 50.0 and a["last_step"] == N - 1
    assert runs[C]["name"] == "<img src=x onerror=alert(1)>"  # stored and sent as text


def test_runs_list_filters_search_and_pages(api: httpx.Client, seeded: Store) -> None:
    def ids(**params: object) -> list[str]:
        return [r["id"] for r in api.get("/api/v1/runs", params=params).json()["runs"]]

    assert ids(project="other") == [C]
    assert ids(model="Qwen/Qwen2.5-7B-Instruct") == [B, A]
    assert ids(tag="sweep-1") == [B, A]
    assert ids(search="LR1E") == [B]
    assert ids(status="finished") == []
    page = api.get("/api/v1/runs", params={"limit": 2, "offset": 1}).json()
    assert page["total"] == 3 and [r["id"] for r in page["runs"]] == [B, A]
    beyond = api.get("/api/v1/runs", params={"offset": 10}).json()
    assert beyond == {"total": 3, "total_exact": True, "runs": []}
    assert api.post("/api/v1/runs/archive", json={"ids": [A]}).json() == {"archived": 1}
    assert ids() == [C, B]
    assert ids(archived="true") == [A]
    assert ids(archived="all") == [C, B, A]
    assert api.post("/api/v1/runs/unarchive", json={"ids": [A]}).json() == {"unarchived": 1}
    assert ids() == [C, B, A]


def test_run_detail_has_the_run_its_keys_and_health(api: httpx.Client, seeded: Store) -> None:
    body = api.get(f"/api/v1/runs/{A}").json()
    assert body["run"]["id"] == A and body["run"]["group_best"] is True
    assert body["keys"] == ["eval/loss", "tokens", "train/loss"]
    assert "health" in body


def test_series_downsampled_keeps_the_spike_and_the_exact_last_point(
    api: httpx.Client, seeded: Store
) -> None:
    body = api.get(
        f"/api/v1/runs/{A}/series", params={"keys": "train/loss", "max_points": 100}
    ).json()
    s = body["series"]["train/loss"]
    assert body["x"] == "step" and s["total"] == N and s["downsampled"] is True
    assert len(s["values"]) <= 101 and 50.0 in s["values"]
    assert s["steps"][-1] == N - 1 and s["values"][-1] == 1.0
    assert s["x"] == s["steps"]


def test_series_nan_travels_as_a_string_and_since_is_incremental(
    api: httpx.Client, seeded: Store
) -> None:
    s = api.get(f"/api/v1/runs/{A}/series", params={"keys": "eval/loss"}).json()
    assert s["series"]["eval/loss"]["values"] == [2.0, "NaN", 1.5]
    since = api.get(f"/api/v1/runs/{A}/series", params={"keys": "eval/loss", "since": 200}).json()
    assert since["series"]["eval/loss"]["steps"] == [300]


def test_series_x_tokens_and_time(api: httpx.Client, seeded: Store) -> None:
    params = {"keys": "eval/loss,train/loss", "x": "tokens"}
    body = api.get(f"/api/v1/runs/{A}/series", params=params).json()
    assert body["series"]["eval/loss"]["x"] == [10000.0, 20000.0, 30000.0]
    assert body["series"]["train/loss"]["x"][:3] == [0.0, 100.0, 200.0]
    t = api.get(f"/api/v1/runs/{A}/series", params={"keys": "train/loss", "x": "time"}).json()
    assert t["series"]["train/loss"]["x"] == t["series"]["train/loss"]["times"]
    no_tokens = api.get(f"/api/v1/runs/{B}/series", params={"x": "tokens"}).json()
    assert no_tokens["series"]["eval/loss"]["x"] is None  # B logged no `tokens`


def test_series_x_tokens_from_a_hugging_face_token_count(api: httpx.Client, db: Store) -> None:
    """The token axis follows the metric roles: a Trainer run counts `num_input_tokens_seen`."""
    now = time.time() - 100
    db.create_run(RunRecord(id=A, project="hf", name="hf", created_at=now))
    steps = np.arange(1, 11)
    times = now + steps * 0.5
    db.write_points(
        A,
        {
            "loss": PointBatch(steps, times, np.linspace(3.0, 2.0, 10)),
            "num_input_tokens_seen": PointBatch(steps, times, steps * 256.0),
        },
    )
    body = api.get(f"/api/v1/runs/{A}/series", params={"keys": "loss", "x": "tokens"}).json()
    assert body["series"]["loss"]["x"] == [256.0 * s for s in range(1, 11)]


def test_series_x_any_metric_that_never_decreases(api: httpx.Client, db: Store) -> None:
    """nanoGPT logs every 20 iterations with `iter` in the dict: `iter` (or `epoch`) can be
    the x axis; a metric that decreases cannot, and the 400 says where it fell (#18)."""
    now = time.time() - 100
    db.create_run(RunRecord(id=A, project="nano", name="shakespeare", created_at=now))
    steps = np.arange(0, 10)
    times = now + steps * 0.5
    db.write_points(
        A,
        {
            "loss": PointBatch(steps, times, np.linspace(3.0, 2.0, 10)),
            "iter": PointBatch(steps, times, steps * 20.0),
            "epoch": PointBatch(steps[::3], times[::3], steps[::3] / 9),
        },
    )
    body = api.get(f"/api/v1/runs/{A}/series", params={"keys": "loss", "x": "iter"}).json()
    assert body["x"] == "iter"
    assert body["series"]["loss"]["x"] == [20.0 * s for s in range(10)]
    ep = api.get(f"/api/v1/runs/{A}/series", params={"keys": "loss", "x": "epoch"}).json()
    assert ep["series"]["loss"]["x"][:4] == pytest.approx([0.0, 1 / 9, 2 / 9, 1 / 3])
    r = api.get(f"/api/v1/runs/{A}/series", params={"keys": "iter", "x": "loss"})
    assert r.status_code == 400
    assert "'loss' cannot be the x axis" in r.json()["error"]["message"]
    assert "decreases at step 1 (from 3 to 2.88889)" in r.json()["error"]["message"]
    missing = api.get(f"/api/v1/runs/{A}/series", params={"keys": "loss", "x": "samples"})
    assert missing.status_code == 404 and "'samples'" in missing.json()["error"]["message"]
    both = api.get("/api/v1/compare/series", params={"runs": A, "key": "loss", "x": "iter"}).json()
    assert both["x"] == "iter" and both["series"][A]["x"][-1] == 180.0


def test_series_of_every_key_and_of_an_unknown_key(api: httpx.Client, seeded: Store) -> None:
    assert set(api.get(f"/api/v1/runs/{A}/series").json()["series"]) == {
        "eval/loss",
        "tokens",
        "train/loss",
    }
    r = api.get(f"/api/v1/runs/{A}/series", params={"keys": "train/loss,nope"})
    assert r.status_code == 404
    assert r.json()["error"]["message"] == f"run '{A}' has no metric 'nope'"


def test_series_csv_is_one_key_at_full_resolution(api: httpx.Client, seeded: Store) -> None:
    r = api.get(f"/api/v1/runs/{A}/series.csv", params={"key": "train/loss"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    lines = r.text.splitlines()
    assert lines[0] == "step,wall_time,value" and len(lines) == N + 1
    assert lines[501].startswith("500,") and lines[501].endswith(",50.0")
    nan = api.get(f"/api/v1/runs/{A}/series.csv", params={"key": "eval/loss"}).text
    assert nan.splitlines()[2].endswith(",NaN")  # spelled as trainboard.exporting does


def test_texts_and_histograms(api: httpx.Client, seeded: Store) -> None:
    texts = api.get(f"/api/v1/runs/{A}/texts").json()["texts"]
    assert texts == [
        {"key": "samples", "step": 100, "wall_time": texts[0]["wall_time"],
         "text": "<b>Once</b> upon a time"}
    ]  # fmt: skip
    assert api.get(f"/api/v1/runs/{A}/texts", params={"since": 100}).json() == {"texts": []}
    hist = api.get(f"/api/v1/runs/{A}/histograms").json()["histograms"]
    assert hist[0]["key"] == "weights/layer0" and hist[0]["counts"] == [3.0, 4.0]
    assert hist[0]["edges"] == [0.0, 1.0, 2.0] and hist[0]["count"] == 7
    other = api.get(f"/api/v1/runs/{A}/histograms", params={"key": "nope"}).json()
    assert other == {"histograms": []}


def test_artifacts_list_and_download(api: httpx.Client, seeded: Store, server: Any) -> None:
    folder = server.home / "artifacts" / A
    folder.mkdir(parents=True)
    (folder / "step_100.pt").write_bytes(b"weights")
    rec = seeded.add_artifact(
        A, ArtifactRecord("step_100.pt", "checkpoint", 100, f"{A}/step_100.pt", 7, time.time())
    )
    listed = api.get(f"/api/v1/runs/{A}/artifacts").json()["artifacts"]
    assert [(a["id"], a["name"], a["kind"], a["size"]) for a in listed] == [
        (rec.id, "step_100.pt", "checkpoint", 7)
    ]
    r = api.get(f"/api/v1/runs/{A}/artifacts/{rec.id}/file")
    assert r.status_code == 200 and r.content == b"weights"
    missing = api.get(f"/api/v1/runs/{A}/artifacts/999/file")
    assert missing.status_code == 404
    assert missing.json()["error"]["message"] == f"run '{A}' has no artifact with id 999"


def test_error_shape_is_pinned(api: httpx.Client, seeded: Store) -> None:
    r = api.get("/api/v1/runs/abc")
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/json"
    assert r.json() == {
        "error": {
            "status": 404, "code": "run_not_found", "message": "no run with id 'abc'",
            "run_id": "abc",
        }
    }  # fmt: skip
    for tail in ("series", "texts", "histograms", "artifacts", "series.csv?key=x"):
        path = f"/api/v1/runs/abc/{tail}"
        body = api.get(path).json()
        assert body["error"]["code"] == "run_not_found", path


def test_unknown_query_parameters_are_a_400_that_names_them(
    api: httpx.Client, seeded: Store
) -> None:
    r = api.get("/api/v1/runs", params={"projct": "x", "limit": 5})
    assert r.status_code == 400
    assert r.json()["error"] == {
        "status": 400,
        "code": "bad_request",
        "message": "unknown query parameter(s) 'projct'; this route takes: after, archived, exact, "
        "fields, id_prefix, limit, model, offset, project, search, sort, status, tag",
    }
    r = api.get(f"/api/v1/runs/{A}/series", params={"max_point": 10})
    assert r.status_code == 400 and "'max_point'" in r.json()["error"]["message"]


def test_invalid_parameters_are_a_400_naming_the_field(api: httpx.Client, seeded: Store) -> None:
    r = api.get(f"/api/v1/runs/{A}/series", params={"max_points": "lots"})
    assert r.status_code == 400
    message = r.json()["error"]["message"]
    assert message.startswith("query parameter 'max_points': ") and "'lots'" in message
    r = api.get("/api/v1/runs", params={"status": "sleeping"})
    assert r.status_code == 400 and "query parameter 'status'" in r.json()["error"]["message"]
    r = api.get(f"/api/v1/runs/{A}/series.csv")
    assert r.json()["error"]["message"] == "query parameter 'key': Field required"
    r = api.post("/api/v1/runs/archive", json={"ids": "abc"})
    assert r.status_code == 400 and r.json()["error"]["message"].startswith("body field 'ids'")


def test_unknown_api_paths_are_a_json_404(api: httpx.Client) -> None:
    for path in ("/api/v1/nothing", "/api/v2/runs", "/api"):
        r = api.get(path)
        assert r.status_code == 404, path
        assert r.json()["error"]["code"] == "not_found"
    r = api.delete("/api/v1/runs")
    assert r.status_code == 405 and r.json()["error"]["code"] == "method_not_allowed"


def test_delete_needs_confirmation_then_deletes(api: httpx.Client, seeded: Store) -> None:
    r = api.post("/api/v1/runs/delete", json={"ids": [B]})
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "confirmation_required"
    assert api.get(f"/api/v1/runs/{B}").status_code == 200
    r = api.post("/api/v1/runs/delete", json={"ids": [B, "nope"], "confirm": True})
    assert r.status_code == 404 and r.json()["error"]["message"] == "no run with id 'nope'"
    assert api.get(f"/api/v1/runs/{B}").status_code == 200  # nothing deleted half-way
    assert api.post("/api/v1/runs/delete", json={"ids": [B], "confirm": True}).json() == {
        "deleted": 1
    }
    assert api.get(f"/api/v1/runs/{B}").status_code == 404


def test_openapi_schema_documents_the_routes_and_shapes(api: httpx.Client) -> None:
    schema = api.get("/api/v1/openapi.json").json()
    paths = schema["paths"]
    for path in ("/api/v1/runs", "/api/v1/runs/{run_id}", "/api/v1/runs/{run_id}/series",
                 "/api/v1/runs/{run_id}/series.csv", "/api/v1/runs/{run_id}/texts",
                 "/api/v1/runs/{run_id}/histograms", "/api/v1/runs/{run_id}/artifacts",
                 "/api/v1/runs/{run_id}/artifacts/{artifact_id}/file", "/api/v1/runs/archive",
                 "/api/v1/runs/unarchive", "/api/v1/runs/delete", "/api/v1/live",
                 "/api/v1/ingest"):  # fmt: skip
        assert path in paths, path
    models = schema["components"]["schemas"]
    for name in ("RunOut", "RunsOut", "ProgressOut", "HealthOut", "SeriesOut", "ErrorOut"):
        assert name in models, name
    assert "delta_to_best_pct" in models["RunOut"]["properties"]


def test_pages_serve_the_app_for_every_page_path(api: httpx.Client) -> None:
    for path in ("/", f"/runs/{A}", "/compare?runs=a,b"):
        r = api.get(path)
        assert r.status_code == 200, path
        assert r.headers["content-type"].startswith("text/html")
        assert "trainboard" in r.text
    assert api.get("/no-such-file.js").status_code == 404


def test_exports_are_the_same_bytes_as_the_cli(api: httpx.Client, seeded: Store) -> None:
    from trainboard.analysis.status import reconcile
    from trainboard.exporting import export_csv, export_json

    # The seeded runs have no heartbeat: the server's poller persists them as crashed at some
    # moment; do it first so both exports read the same stored row.
    reconcile(seeded, seeded.list_runs())
    r = api.get(f"/api/v1/runs/{A}/export.json")
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    assert 'filename="lr3e-5-' in r.headers["content-disposition"]
    body = r.json()
    assert body == export_json(seeded, A)
    assert body["metrics"]["eval/loss"][1][2] == "NaN" and len(body["metrics"]["train/loss"]) == N
    r = api.get(f"/api/v1/runs/{A}/export.csv")
    assert r.status_code == 200 and r.text == export_csv(seeded, A)
    assert r.text.splitlines()[0] == "step,eval/loss,tokens,train/loss"
    assert api.get("/api/v1/runs/nope/export.csv").json()["error"]["code"] == "run_not_found"
