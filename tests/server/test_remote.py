"""The remote store: the SDK with TRAINBOARD_URL writes through a real server, and loses
nothing (and doubles nothing) when that server is killed and comes back."""

from __future__ import annotations

import http.server
import math
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import orjson
import pytest

import trainboard
from trainboard.errors import RunNotFoundError
from trainboard.store.queries import RunQuery
from trainboard.store.records import HistogramRecord, PointBatch, RunRecord, TextRecord
from trainboard.store.remote.spool import read_spool
from trainboard.store.remote.store import RemoteStore
from trainboard.store.remote.wire import PointsOp, parse_op


def _until(check: Callable[[], bool], timeout: float = 90.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def client_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "client"
    monkeypatch.setenv("TRAINBOARD_HOME", str(home))
    monkeypatch.setenv("TRAINBOARD_SYSTEM_INTERVAL", "0")
    monkeypatch.setenv("TRAINBOARD_FLUSH_INTERVAL", "0.1")
    monkeypatch.delenv("TRAINBOARD_DB", raising=False)
    monkeypatch.delenv("TRAINBOARD_TOKEN", raising=False)
    return home


def _steps(api: httpx.Client, run_id: str, key: str) -> list[int]:
    r = api.get(f"/api/v1/runs/{run_id}/series", params={"keys": key})
    if r.status_code != 200:
        return []
    return list(r.json()["series"][key]["steps"])


def test_remote_store_round_trips_through_the_api(server: Any, client_home: Path) -> None:
    store = RemoteStore(server.url)
    try:
        now = time.time()
        run = RunRecord(
            id="0123456789ab", project="p", name="remote", created_at=now, heartbeat_at=now
        )
        store.create_run(run)
        store.create_run(run)  # a retried create is harmless
        store.write_points(
            run.id,
            {"loss": PointBatch.of([1, 2, 3], [10.0, 11.0, 12.0], [3.0, float("nan"), 1.0])},
        )
        store.write_texts(run.id, [TextRecord("samples", 2, 11.0, "hello")])
        store.write_histograms(
            run.id, [HistogramRecord("w", 2, 11.0, [0.0, 1.0], [5.0], 0.0, 1.0, 5, 2.5)]
        )
        store.update_run(run.id, status="finished", finished_at=13.0)
        got = store.get_run(run.id)
        assert (got.name, got.status, got.finished_at, got.last_step) == (
            "remote",
            "finished",
            13.0,
            3,
        )
        assert got.summary["loss"].count == 3 and got.summary["loss"].min == 1.0
        s = store.read_series(run.id, "loss")
        assert s.steps.tolist() == [1, 2, 3] and np.isnan(s.values[1]) and s.values[2] == 1.0
        assert store.metric_keys(run.id) == ["loss"]
        assert store.read_texts(run.id)[0].text == "hello"
        assert store.read_histograms(run.id)[0].counts == [5.0]
        assert [r.id for r in store.list_runs(RunQuery(project="p"))] == [run.id]
        assert store.count_runs() == 1
        assert store.set_archived([run.id], True) == 1
        assert store.list_runs() == [] and store.count_runs(RunQuery(archived=True)) == 1
        with pytest.raises(RunNotFoundError, match="no run with id 'nope'"):
            store.get_run("nope")
        assert store.delete_runs([run.id]) == 1
    finally:
        store.close()


def test_sdk_keeps_every_point_exactly_once_across_a_server_outage(
    server_process: Any, client_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRAINBOARD_URL", server_process.url)
    api = server_process.client()
    run = trainboard.init(project="remote", name="outage", total_steps=300)
    for step in range(100):
        run.log({"train/loss": 1.0 / (step + 1), "tokens": step * 10}, step=step)
    _until(lambda: len(_steps(api, run.id, "train/loss")) == 100, what="first 100 points")

    server_process.kill()
    for step in range(100, 200):
        run.log({"train/loss": 1.0 / (step + 1), "tokens": step * 10}, step=step)
    spool = client_home / "spool"

    def spooled() -> bool:  # the points logged during the outage wait on disk too
        for path in spool.glob("*.spool"):
            for raw in read_spool(path)[1]:
                op = parse_op(orjson.loads(raw))
                if isinstance(op, PointsOp) and 199 in op.point_batches()["train/loss"].steps:
                    return True
        return False

    _until(spooled, what="the outage's points in the spool")

    server_process.start()  # a new server process: same store, same port
    for step in range(200, 300):
        run.log({"train/loss": 1.0 / (step + 1), "tokens": step * 10}, step=step)
    run.finish()

    assert _steps(api, run.id, "train/loss") == list(range(300))
    body = api.get(f"/api/v1/runs/{run.id}").json()
    assert body["run"]["status"] == "finished"
    assert body["run"]["summary"]["train/loss"]["count"] == 300
    assert body["run"]["summary"]["tokens"]["last"] == 2990
    assert [p.read_bytes().count(b'{"seq":') for p in spool.glob("*.spool")] == []  # all sent
    api.close()


def test_a_dead_writers_spool_is_sent_by_the_next_store(
    server_process: Any, client_home: Path
) -> None:
    now = time.time()
    run = RunRecord(id="abcdefabcdef", project="p", name="orphan", created_at=now, heartbeat_at=now)
    spool = client_home / "spool"
    server_process.kill()
    first = RemoteStore(server_process.url, timeout=2)
    first.create_run(run)
    first.write_points(run.id, {"loss": PointBatch.of([1, 2], [1.0, 2.0], [0.5, 0.25])})
    first.close(timeout=0.5)  # the server is down: the ops stay in the spool
    assert [p.read_bytes().count(b'{"seq":') for p in spool.glob("*.spool")] == [2]

    server_process.start()
    second = RemoteStore(server_process.url)
    try:
        assert second.flush(timeout=30)
        assert second.read_series(run.id, "loss").values.tolist() == [0.5, 0.25]
    finally:
        second.close()
    assert list(spool.glob("*.spool")) == []


class _OlderServer(http.server.BaseHTTPRequestHandler):
    """A server of the previous release, as far as ingest goes: its identity lists no points
    forms, and it takes whatever it is sent (the ops are kept to look at)."""

    ops: list[Any] = []

    def do_GET(self) -> None:
        self._answer({"id": "older-server"})

    def do_POST(self) -> None:
        body = orjson.loads(self.rfile.read(int(self.headers["Content-Length"])))
        _OlderServer.ops += body["ops"]
        last = body["seq"] + len(body["ops"]) - 1
        self._answer({"applied": len(body["ops"]), "skipped": 0, "last_seq": last, "errors": []})

    def _answer(self, obj: Any) -> None:
        data = orjson.dumps(obj)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


def test_points_are_packed_only_for_a_server_that_reads_packed(
    server: Any, client_home: Path
) -> None:
    batch = {"loss": PointBatch(np.array([1, 2]), np.array([1.0, 2.0]), np.array([0.5, 0.25]))}
    older = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _OlderServer)
    threading.Thread(target=older.serve_forever, daemon=True).start()
    try:
        store = RemoteStore(f"http://127.0.0.1:{older.server_address[1]}")
        store.write_points("r1", batch)
        assert store.flush(timeout=10)
        store.close()
    finally:
        older.shutdown()
    assert [sorted(op) for op in _OlderServer.ops] == [["columns", "op", "run"]]
    assert _OlderServer.ops[0]["columns"]["loss"]["values"] == [0.5, 0.25]

    current = RemoteStore(server.url)
    try:
        current.create_run(RunRecord(id="r1", project="p", name="n"))
        current.write_points("r1", batch)
        assert current._packed and current.read_series("r1", "loss").values.tolist() == [0.5, 0.25]
    finally:
        current.close()


def test_points_go_packed_once_a_server_down_at_start_answers(
    server_process: Any, client_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A store that could not ask its server at start (down, or too busy to answer in 2 s)
    sends the JSON columns form, and asks again from the writer until the server answers:
    a whole run in the columns form costs ~20 times the CPU per point."""
    import trainboard.store.remote.store as remote

    monkeypatch.setattr(remote, "PROBE_SECONDS", 0.2)
    server_process.kill()
    store = RemoteStore(server_process.url)
    try:
        store.create_run(RunRecord(id="r1", project="p", name="n"))
        ones = {"loss": PointBatch(np.array([0, 1]), np.array([1.0, 2.0]), np.array([0.5, 1.5]))}
        store.write_points("r1", ones)
        assert store._packed is False  # nobody answered: the form every server reads
        server_process.start()
        time.sleep(0.3)  # past PROBE_SECONDS: the next write asks again
        twos = {"loss": PointBatch(np.array([2]), np.array([3.0]), np.array([math.nan]))}
        store.write_points("r1", twos)
        assert store._packed is True
        assert store.flush(timeout=60)
        values = store.read_series("r1", "loss").values
        assert values[:2].tolist() == [0.5, 1.5] and math.isnan(values[2])
    finally:
        store.close()


def test_remote_store_keeps_the_contract_of_the_local_engines(
    server: Any, db: Any, api: httpx.Client, client_home: Path
) -> None:
    """An unknown key reads as an empty series, a missing run is RunNotFoundError with the id
    from the body's `run_id`, and each error code is the class a local store raises."""
    from trainboard.errors import ConfirmationRequiredError, NotFoundError, UsageError

    db.create_run(RunRecord(id="c0ffee000001", project="p", name="it's-quoted"))
    db.write_points("c0ffee000001", {"loss": PointBatch.of([1, 2], [1.0, 2.0], [0.5, 0.4])})
    body = api.get("/api/v1/runs/no'such'run/series", params={"keys": "loss"}).json()
    assert body["error"]["code"] == "run_not_found" and body["error"]["run_id"] == "no'such'run"
    store = RemoteStore(server.url)
    try:
        for local in (db, store):
            empty = local.read_series("c0ffee000001", "never-logged")
            assert (empty.key, len(empty), empty.total) == ("never-logged", 0, 0)
            assert empty.steps.dtype == np.int64 and empty.values.dtype == np.float64
            assert local.read_series("c0ffee000001", "loss").steps.tolist() == [1, 2]
            with pytest.raises(RunNotFoundError) as missing:
                local.read_series("no'such'run", "loss")
            assert missing.value.run_id == "no'such'run"  # quotes in the id survive
        with pytest.raises(NotFoundError):  # a 404 that is not a run: not a UsageError
            store._call("GET", "/runs/c0ffee000001/artifacts/999/file")
        with pytest.raises(ConfirmationRequiredError):
            store._call("POST", "/runs/delete", json={"ids": ["c0ffee000001"]})
        with pytest.raises(UsageError) as bad:
            store._call("GET", "/runs", params={"status": "sleeping"})
        assert type(bad.value) is UsageError
    finally:
        store.close()
