"""trainboard.Api through a real server (uvicorn on loopback): the remote store reads the same
runs, histories and comparisons as the server's own store, and `run.to_json()` is exactly
what GET /api/v1/runs/{id} answers, and what `trainboard show --json` prints."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from typer.testing import CliRunner

import trainboard
from trainboard.cli import app
from trainboard.errors import AuthError
from trainboard.store.base import Store
from trainboard.store.records import PointBatch, RunRecord

T0 = 1_700_000_000.0


@pytest.fixture
def reader_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "reader"
    monkeypatch.setenv("TRAINBOARD_HOME", str(home))
    for name in ("TRAINBOARD_DB", "TRAINBOARD_URL", "TRAINBOARD_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    return home


def _write(store: Store) -> list[str]:
    steps = np.arange(1, 3001, dtype=np.int64)
    ids = []
    for i, scale in enumerate([1.2, 1.0, 1.5]):
        rid = f"b0000000000{i}"
        store.create_run(
            RunRecord(
                id=rid, project="remote", name=f"r{i}", model="m", status="finished",
                config={"lr": 10.0 ** -(i + 3)}, tags=["t"], total_steps=3000,
                created_at=T0 + i, finished_at=T0 + i + 900.0,
            )
        )  # fmt: skip
        times = T0 + i + steps * 0.3
        evals = steps[steps % 500 == 0]
        store.write_points(
            rid,
            {
                "train/loss": PointBatch(steps, times, scale * 4.0 / np.sqrt(steps)),
                "tokens": PointBatch(steps, times, steps * 512.0),
                "eval/loss": PointBatch(evals, T0 + i + evals * 0.3, scale * 3 / np.sqrt(evals)),
            },
        )
        ids.append(rid)
    return ids


def test_api_reads_a_remote_server_as_its_own_store(
    server: Any, db: Store, api: httpx.Client, reader_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = _write(db)
    monkeypatch.setenv("TRAINBOARD_URL", server.url)  # the URL wins over TRAINBOARD_DB
    monkeypatch.setenv("TRAINBOARD_DB", f"sqlite:///{reader_home / 'elsewhere.db'}")
    local = trainboard.Api(server.store_url)
    with trainboard.Api() as remote:
        assert remote.url == server.url
        assert [r.name for r in remote.runs(project="remote")] == ["r2", "r1", "r0"]
        assert len(remote.runs(config={"lr": (1e-4, None)})) == 2
        best = remote.best_run(project="remote")
        assert best.name == "r1" and best == local.best_run(project="remote")
        run = remote.run("r1")
        assert run.to_json() == api.get(f"/api/v1/runs/{run.id}").json()
        assert run.to_json() == local.run("r1").to_json()
        shown = CliRunner().invoke(app, ["show", "r1", "--json"], env={"TRAINBOARD_URL": ""} | {
            "TRAINBOARD_DB": server.store_url})  # fmt: skip
        assert shown.exit_code == 0, shown.output
        assert json.loads(shown.stdout) == run.to_json()  # `show --json`: the same document
        df = run.history(["train/loss", "eval/loss"])
        mine = local.run("r1").history(["train/loss", "eval/loss"])
        assert df.equals(mine) and len(df) == 3000
        down = run.history("train/loss", max_points=100, format="numpy")
        s = db.read_series(run.id, "train/loss", max_points=100)
        assert np.array_equal(down["step"], s.steps)
        assert remote.compare(ids) == local.compare(ids)
        assert remote.compare(ids)["best"] == ids[1]
        with pytest.raises(trainboard.RunNotFoundError, match="newest: b00000000002 \\(r2\\)"):
            remote.run("nope")
    local.close()
    assert not (reader_home / "elsewhere.db").exists()


def test_api_sends_the_servers_token(token_server: Any, reader_home: Path) -> None:
    from trainboard.store import open_store

    with open_store(token_server.store_url) as s:
        _write(s)
    with trainboard.Api(token_server.url, token="s3cret-token") as api:
        assert len(api.runs()) == 3
    # the remote store answers a 401 with the same class the engines use (#22)
    with trainboard.Api(token_server.url) as api, pytest.raises(AuthError, match="token"):
        len(api.runs())
