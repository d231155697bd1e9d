"""The ranks of one job send through the team server (TRAINBOARD_URL) like through a local
store: one run, each rank's reports, a rank's failure on the run (sdk/ranks.py)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

import trainboard


def test_ranks_send_through_the_team_server_into_one_run(
    server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRAINBOARD_HOME", str(tmp_path / "client"))
    monkeypatch.setenv("TRAINBOARD_URL", server.url)
    monkeypatch.delenv("TRAINBOARD_DB", raising=False)
    monkeypatch.delenv("TRAINBOARD_TOKEN", raising=False)
    monkeypatch.setenv("TRAINBOARD_SYSTEM_INTERVAL", "0.05")
    monkeypatch.setenv("TRAINBOARD_FLUSH_INTERVAL", "0.1")
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("TORCHELASTIC_RUN_ID", "remote-job")
    monkeypatch.setenv("RANK", "1")
    monkeypatch.setenv("LOCAL_RANK", "1")
    r1 = trainboard.init(project="remote", name="ddp")
    for _ in range(20):  # 2 s of steps: a rate needs two samples that saw different steps
        r1.log({"loss": 2.0})
        time.sleep(0.1)
    r1.finish("failed", notes="RuntimeError: shard 7 is empty")
    monkeypatch.setenv("RANK", "0")
    monkeypatch.setenv("LOCAL_RANK", "0")
    r0 = trainboard.init(project="remote", name="ddp")
    assert r0.id == r1.id
    r0.log({"loss": 1.0})
    r0.finish()
    api = server.client()
    body = api.get(f"/api/v1/runs/{r0.id}").json()["run"]
    assert body["status"] == "failed" and "shard 7 is empty" in body["notes"]
    assert body["notes"].startswith("rank 1 (host ")
    assert "sys/rank1/steps_per_s" in body["summary"] and body["summary"]["loss"]["last"] == 1.0
    runs = api.get("/api/v1/runs", params={"project": "remote"}).json()
    assert len(runs["runs"]) == 1
    api.close()
