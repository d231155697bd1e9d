"""Ingest against a real server: only JSON, every op checked on its own, bad ops never harm the
good ones or the runs list."""

from __future__ import annotations

import base64
import math
from typing import Any

import httpx
import numpy as np
import orjson

from trainboard.store.base import Store
from trainboard.store.records import PointBatch
from trainboard.store.remote.wire import points_op

RUN = {"id": "r1", "project": "p", "name": "one", "created_at": 1.0}


def _post(api: httpx.Client, ops: list[Any], seq: int = 0, client: str = "c1") -> Any:
    r = api.post("/api/v1/ingest", json={"client": client, "seq": seq, "ops": ops})
    assert r.status_code == 200, r.text
    return r.json()


def test_only_application_json_is_read(api: httpx.Client, db: Store) -> None:
    body = orjson.dumps({"client": "x", "seq": 0, "ops": [{"op": "create_run", "run": RUN}]})
    for ctype in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data", ""):
        r = api.post("/api/v1/ingest", content=body, headers={"Content-Type": ctype})
        assert r.status_code == 415, (ctype, r.text)
        assert r.json()["error"]["code"] == "unsupported_media_type"
    assert db.list_runs() == []
    r = api.post(
        "/api/v1/ingest", content=body, headers={"Content-Type": "application/json; charset=utf-8"}
    )
    assert r.status_code == 200


def test_a_malformed_op_is_refused_alone_and_the_runs_list_stays_up(
    api: httpx.Client, db: Store
) -> None:
    bad_runs = [
        {**RUN, "id": "bad1", "config": "notadict"},
        {**RUN, "id": "bad2", "name": "nul\x00name"},
        {**RUN, "id": "bad3", "tags": ["ok", 3]},
        {**RUN, "id": "bad4", "status": "exploded"},
        {**RUN, "id": "bad5", "total_steps": 2**63},
        {**RUN, "id": "bad6", "pid": 1.5},
    ]
    ops = [{"op": "create_run", "run": r} for r in bad_runs]
    ops += [
        {"op": "create_run", "run": RUN},
        "not an op",
        {"op": "explode", "run": "r1"},
        {"op": "update_run", "run": "r1", "fields": {"created_at": 5}},
        {"op": "update_run", "run": "r1", "fields": {"archived": True}},
        {"op": "update_run", "run": "r1", "fields": {"config": "notadict"}},
        {"op": "update_run", "run": "r1", "fields": {"status": "finished", "notes": "done"}},
    ]
    out = _post(api, ops)
    assert out["applied"] == len(ops)
    refused = {e["seq"] for e in out["errors"]}
    assert refused == set(range(len(ops))) - {6, 12}, out["errors"]
    assert all(e["code"] == "bad_request" for e in out["errors"])
    assert "created_at" in out["errors"][-3]["message"]
    assert "archived" in out["errors"][-2]["message"]
    r = api.get("/api/v1/runs")
    assert r.status_code == 200
    assert [run["id"] for run in r.json()["runs"]] == ["r1"]
    rec = db.get_run("r1")
    assert (rec.status, rec.notes, rec.archived, rec.config) == ("finished", "done", False, {})


def test_points_are_checked_per_op_and_nan_travels_as_its_spelling(
    api: httpx.Client, db: Store
) -> None:
    def points(steps: list[Any], values: list[Any], key: str = "loss") -> dict[str, Any]:
        cols = {"steps": steps, "times": [1.0] * len(steps), "values": values}
        return {"op": "points", "run": "r1", "columns": {key: cols}}

    ops = [
        {"op": "create_run", "run": RUN},
        points([0, 1, 2], [1.0, "NaN", "-Infinity"]),
        points([2**63], [1.0]),  # past int64
        points([1.7], [1.0]),  # not an int
        points([1e30], [1.0]),
        points([-1], [1.0]),
        points([True], [1.0]),
        points([3], ["1.5"]),  # a number as a string
        points([3], [1.0], key="k\x00"),
        points([3, 4], [1.0]),  # lengths differ
        {"op": "points", "run": "r1", "batches": {"old": [[0, 1.0, 2.0], [1, 1.0, "NaN"]]}},
    ]
    out = _post(api, ops)
    assert {e["seq"] for e in out["errors"]} == set(range(2, 10)), out["errors"]
    s = db.read_series("r1", "loss")
    assert s.steps.tolist() == [0, 1, 2]
    assert s.values[0] == 1.0 and math.isnan(s.values[1]) and s.values[2] == -math.inf
    old = db.read_series("r1", "old")
    assert old.steps.tolist() == [0, 1] and math.isnan(old.values[1])
    assert api.get("/api/v1/runs").status_code == 200


def test_the_wire_knows_every_run_field() -> None:
    """A field added to RunRecord must be added to the wire's RunIn, or remote runs are refused."""
    from trainboard.store.remote.wire import RUN_FIELDS, RunIn

    assert set(RunIn.model_fields) == set(RUN_FIELDS)


def _b64(values: list[Any], dtype: str) -> str:
    return base64.b64encode(np.asarray(values, dtype=dtype).tobytes()).decode()


def test_packed_points_travel_bit_exact_and_each_bad_group_is_refused_alone(
    api: httpx.Client, db: Store
) -> None:
    """The SDK's form: keys logged together share one steps and times column, every column the
    base64 of little-endian int64/float64 bytes; a NaN payload comes through bit for bit."""
    payload_nan = np.frombuffer(np.uint64(0x7FF8_0000_DEAD_BEEF).tobytes(), dtype="<f8")[0]
    steps, times = np.array([0, 1, 2]), np.array([1.0, 2.0, 3.0])
    batches = {
        "loss": PointBatch(steps, times, np.array([2.5, payload_nan, -np.inf])),
        "lr": PointBatch(steps.copy(), times.copy(), np.array([1e-4, 1e-4, 5e-5])),
        "eval/loss": PointBatch(np.array([2]), np.array([3.5]), np.array([0.75])),
    }
    op = orjson.loads(points_op("r1", batches))
    assert [sorted(g["values"]) for g in op["packed"]] == [["loss", "lr"], ["eval/loss"]]

    def group(steps: str, times: str, **values: str) -> dict[str, Any]:
        packed = [{"steps": steps, "times": times, "values": values}]
        return {"op": "points", "run": "r1", "packed": packed}

    one = _b64([5], "<i8")
    t1 = _b64([1.0], "<f8")
    ops = [
        {"op": "create_run", "run": RUN},
        op,
        group("not base64!", t1, bad=_b64([1.0], "<f8")),
        group(_b64([-1], "<i8"), t1, bad=_b64([1.0], "<f8")),
        group(one, _b64([math.inf], "<f8"), bad=_b64([1.0], "<f8")),
        group(one, t1, bad=_b64([1.0, 2.0], "<f8")),  # two values for one step
        group(one, t1, bad="AAAA"),  # 3 bytes: not a float64
        group(one, t1, **{"k\x00": _b64([1.0], "<f8")}),
        group(_b64([6], "<i8"), t1, good=_b64([4.5], "<f8")),
    ]
    out = _post(api, ops)
    assert {e["seq"] for e in out["errors"]} == set(range(2, 8)), out["errors"]
    messages = " | ".join(e["message"] for e in out["errors"])
    for said in ("not base64", ">= 0", "finite", "2 values for 1 steps", "not 8 per point", "NUL"):
        assert said in messages
    loss = db.read_series("r1", "loss")
    assert loss.steps.tolist() == [0, 1, 2] and loss.times.tolist() == [1.0, 2.0, 3.0]
    assert loss.values.tobytes() == batches["loss"].values.tobytes()  # the NaN payload too
    assert db.read_series("r1", "lr").values.tolist() == [1e-4, 1e-4, 5e-5]
    assert db.read_series("r1", "eval/loss").steps.tolist() == [2]
    assert db.read_series("r1", "good").values.tolist() == [4.5]
    assert "bad" not in db.metric_keys("r1")


def test_the_server_lists_the_points_forms_it_reads_and_reads_each(
    api: httpx.Client, db: Store
) -> None:
    r = api.get("/api/v1/ingest/identity")
    assert r.status_code == 200 and r.json()["points"] == ["packed", "columns", "batches"]
    batches = {"loss": PointBatch(np.array([0, 1]), np.array([1.0, 2.0]), np.array([0.5, np.nan]))}
    packed, columns = points_op("r1", batches), points_op("r1", batches, packed=False)
    assert b'"packed"' in packed and b'"columns"' in columns and b'"NaN"' in columns
    out = _post(api, [{"op": "create_run", "run": RUN}, orjson.loads(columns)])
    assert out["errors"] == []
    s = db.read_series("r1", "loss")
    assert s.steps.tolist() == [0, 1] and s.values[0] == 0.5 and math.isnan(s.values[1])
