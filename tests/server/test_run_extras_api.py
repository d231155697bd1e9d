"""A run's own summary and its alerts through the HTTP API: GET /runs/{id} carries them (the
Run page reads them there), their own routes serve them, and a RemoteStore writes them as
ingest ops and reads them back."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from trainboard.store.base import Store
from trainboard.store.records import EventRecord, RunRecord
from trainboard.store.remote.store import RemoteStore


def test_run_detail_carries_run_summary_and_events(api: httpx.Client, db: Store) -> None:
    db.create_run(RunRecord(id="abc", project="p", name="r", created_at=time.time()))
    db.write_run_values("abc", "summary", {"best_acc": 0.91, "inf": float("inf")})
    db.add_events("abc", [EventRecord("alert", "NaN loss", "at step 7", "error", 5.0, 7)])
    body = api.get("/api/v1/runs/abc").json()
    assert body["run_summary"] == {"best_acc": 0.91, "inf": "Infinity"}
    assert body["events"] == [
        {
            "id": body["events"][0]["id"],
            "kind": "alert",
            "title": "NaN loss",
            "text": "at step 7",
            "level": "error",
            "step": 7,
            "wall_time": 5.0,
        }
    ]
    assert api.get("/api/v1/runs/abc/events").json() == {"events": body["events"]}
    assert api.get("/api/v1/runs/abc/values/summary").json()["values"]["best_acc"] == 0.91
    assert api.get("/api/v1/runs/abc/values/other").status_code == 400
    assert api.get("/api/v1/runs/nope/events").status_code == 404


@pytest.fixture
def client_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "client"
    monkeypatch.setenv("TRAINBOARD_HOME", str(home))
    monkeypatch.delenv("TRAINBOARD_DB", raising=False)
    monkeypatch.delenv("TRAINBOARD_TOKEN", raising=False)
    return home


def test_remote_store_writes_and_reads_values_and_events(server: Any, client_home: Path) -> None:
    store = RemoteStore(server.url)
    try:
        store.create_run(RunRecord(id="0123456789ab", project="p", name="x", created_at=1.0))
        store.write_run_values("0123456789ab", "summary", {"best": 1.5, "nan": float("nan")})
        store.add_events("0123456789ab", [EventRecord("alert", "t", "x", "warn", 2.0, 3)])
        assert store.flush(timeout=30)
        assert store.read_run_values("0123456789ab", "summary") == {"best": 1.5, "nan": "NaN"}
        [event] = store.read_events("0123456789ab")
        assert (event.title, event.level, event.step) == ("t", "warn", 3)
    finally:
        store.close()
