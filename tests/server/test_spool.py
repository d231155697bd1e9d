"""The remote client's spool always drains: keyed by the server, not the URL's spelling; sent by
`trainboard sync`; a refused op set aside so it never blocks the ops behind it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import orjson
import pytest

from trainboard.errors import TrainboardWarning
from trainboard.store.records import PointBatch, RunRecord
from trainboard.store.remote.store import RemoteStore


@pytest.fixture
def client_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "client"
    monkeypatch.setenv("TRAINBOARD_HOME", str(home))
    monkeypatch.delenv("TRAINBOARD_DB", raising=False)
    monkeypatch.delenv("TRAINBOARD_URL", raising=False)
    monkeypatch.delenv("TRAINBOARD_TOKEN", raising=False)
    return home


def _run(run_id: str) -> RunRecord:
    now = time.time()
    return RunRecord(id=run_id, project="p", name=run_id, created_at=now, heartbeat_at=now)


def _leave_a_spool(server: Any) -> None:
    """A client that made its spool while the server was up, then lost it and died."""
    first = RemoteStore(server.url, timeout=2)
    assert first.server_id is not None  # the spool is keyed by the server's identity
    server.kill()
    first.create_run(_run("aaaaaaaaaaaa"))
    first.write_points("aaaaaaaaaaaa", {"loss": PointBatch.of([1, 2], [1.0, 2.0], [0.5, 0.25])})
    first.close(timeout=0.3)  # nothing sent: the ops stay in the spool, its lock is free
    server.start()


def test_a_spool_is_adopted_by_any_spelling_of_the_same_server(
    server_process: Any, client_home: Path
) -> None:
    _leave_a_spool(server_process)  # http://127.0.0.1:PORT
    spool = client_home / "spool"
    assert len(list(spool.glob("*.spool"))) == 1
    other = RemoteStore(server_process.url.replace("127.0.0.1", "localhost"))
    try:
        assert other.flush(timeout=30)
        assert other.read_series("aaaaaaaaaaaa", "loss").values.tolist() == [0.5, 0.25]
    finally:
        other.close()
    assert list(spool.glob("*.spool")) == []


def test_trainboard_sync_sends_what_a_dead_client_left(
    server_process: Any, client_home: Path
) -> None:
    _leave_a_spool(server_process)
    env = dict(os.environ, TRAINBOARD_HOME=str(client_home))
    cli = [sys.executable, "-m", "trainboard", "sync"]
    done = subprocess.run(
        [*cli, "--url", server_process.url], capture_output=True, text=True, env=env
    )
    assert done.returncode == 0, done.stderr
    assert f"{server_process.url}: sent 2 ops" in done.stdout
    again = subprocess.run(cli, capture_output=True, text=True, env=env)
    assert again.stdout.strip() == "nothing to send"
    with server_process.client() as api:
        r = api.get("/api/v1/runs/aaaaaaaaaaaa/series", params={"keys": "loss"})
        assert r.json()["series"]["loss"]["steps"] == [1, 2]


def test_a_refused_op_is_set_aside_and_never_blocks_the_ones_behind_it(
    server: Any, client_home: Path
) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        store = RemoteStore(server.url)
        try:
            store.create_run(_run("bbbbbbbbbbbb"))
            # created_at is set once, never updated: the server refuses this op for good
            store._enqueue(b'{"op":"update_run","run":"bbbbbbbbbbbb","fields":{"created_at":1}}')
            store._enqueue(b"{not json")  # the whole batch is a 400 until it is split
            store.write_points("bbbbbbbbbbbb", {"a": PointBatch.of([0, 1], [1.0, 1.0], [1, 2])})
            store.update_run("bbbbbbbbbbbb", status="finished")
            assert store.flush(timeout=60)
            run = store.get_run("bbbbbbbbbbbb")
            assert run.status == "finished" and run.summary["a"].count == 2
        finally:
            store.close()
    aside = [
        orjson.loads(line)
        for line in (client_home / "spool" / "deadletter.jsonl").read_bytes().splitlines()
    ]
    assert [a["op"]["fields"] if isinstance(a["op"], dict) else a["op"] for a in aside][:1] == [
        {"created_at": 1}
    ]
    assert len(aside) == 2 and "HTTP 400" in aside[1]["error"]
    ours = [str(w.message) for w in caught if issubclass(w.category, TrainboardWarning)]
    assert len([m for m in ours if "refused an op for good" in m]) == 1, ours


def test_what_only_the_server_can_refuse_goes_to_the_dead_letter_file(
    server: Any, client_home: Path
) -> None:
    """The remote engine's documented difference from the store contract (docs/faults.md):
    a write to an unknown run is refused after the call returns and set aside with the
    server's answer; a create of an existing id is taken as a resent op (the run stays as it
    was); the writes behind them still land."""
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        store = RemoteStore(server.url)
        try:
            store.create_run(_run("cccccccccccc"))
            again = _run("cccccccccccc")
            again.name = "second"
            store.create_run(again)  # the server takes it for a resend of the first
            store.write_points("nnnnnnnnnnnn", {"a": PointBatch.of([0], [1.0], [1.0])})
            store.write_points("cccccccccccc", {"a": PointBatch.of([0], [1.0], [2.0])})
            assert store.flush(timeout=60)
            got = store.get_run("cccccccccccc")
            assert got.summary["a"].last == 2.0 and got.name == _run("cccccccccccc").name
        finally:
            store.close()
    aside = [
        orjson.loads(line)
        for line in (client_home / "spool" / "deadletter.jsonl").read_bytes().splitlines()
    ]
    ops = [a["op"] for a in aside]
    assert [(o["op"], o["run"]) for o in ops] == [("points", "nnnnnnnnnnnn")], aside
    assert aside[0]["error"] == "run_not_found: no run with id 'nnnnnnnnnnnn'"


@pytest.fixture
def full_disk_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """TRAINBOARD_HOME on a real 64 KiB tmpfs: the spool fills it within a few hundred ops."""
    mnt = tmp_path / "small"
    mnt.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mnt)],
                          capture_output=True)  # fmt: skip
    if done.returncode != 0:  # not root: CI runs as root, so there it always runs
        pytest.skip(f"cannot mount a small tmpfs here: {done.stderr.decode().strip()}")
    monkeypatch.setenv("TRAINBOARD_HOME", str(mnt))
    monkeypatch.delenv("TRAINBOARD_DB", raising=False)
    monkeypatch.delenv("TRAINBOARD_URL", raising=False)
    monkeypatch.delenv("TRAINBOARD_TOKEN", raising=False)
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], check=False)


def test_a_full_disk_keeps_the_sender_alive_and_loses_nothing(
    server: Any, full_disk_home: Path
) -> None:
    """ENOSPC on the spool warns once; the ops wait in memory and every point is sent."""
    client = RemoteStore(server.url, timeout=5)
    n = 2_000
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        client.create_run(_run("dddddddddddd"))
        for s in range(n):  # an op per point: the spool outgrows 64 KiB many times over
            client.write_points("dddddddddddd", {"loss": PointBatch.of([s], [1.0 + s], [s / n])})
        assert client.flush(timeout=60)
        series = client.read_series("dddddddddddd", "loss")
        client.close()
    assert series.steps.tolist() == list(range(n))
    full = [w for w in caught if "cannot write the spool" in str(w.message)]
    assert len(full) == 1 and "No space left on device" in str(full[0].message)
    assert issubclass(full[0].category, TrainboardWarning)
