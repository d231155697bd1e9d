"""Liveness on the store's clock (#23): a live run's heartbeat is stored as the time the store
received it, so a training host whose clock is an hour behind does not show a live run as
crashed, and one an hour ahead does not keep a killed run running. Real SQLite and a real
PostgreSQL (whose server clock is the one that counts)."""

from __future__ import annotations

import time

import pytest

from trainboard.analysis.status import effective_status, reconcile
from trainboard.store.base import Store
from trainboard.store.records import RunRecord

HOUR = 3600.0


def _remote_run(store: Store, run_id: str, host_clock: float) -> None:
    """A run written from another machine whose clock reads `host_clock` now."""
    store.create_run(RunRecord(id=run_id, project="p", name=run_id, created_at=host_clock,
                               heartbeat_at=host_clock, host="gpu-node-7", pid=4242))  # fmt: skip


@pytest.mark.parametrize("store_url", ["sqlite", "postgresql"], indirect=True)
def test_a_host_an_hour_behind_does_not_make_a_live_run_crashed(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRAINBOARD_HEARTBEAT_TIMEOUT", "60")
    _remote_run(store, "behind000001", time.time() - HOUR)
    store.update_run("behind000001", status="running", heartbeat_at=time.time() - HOUR)
    run = store.get_run("behind000001")
    assert run.heartbeat_at is not None and abs(run.heartbeat_at - store.now()) < 30
    assert effective_status(run, store.now()) == "running"
    assert reconcile(store, [run]) == []
    assert store.get_run("behind000001").status == "running"


@pytest.mark.parametrize("store_url", ["sqlite", "postgresql"], indirect=True)
def test_a_host_an_hour_ahead_does_not_keep_a_killed_run_running(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRAINBOARD_HEARTBEAT_TIMEOUT", "1")
    _remote_run(store, "ahead0000001", time.time() + HOUR)
    store.update_run("ahead0000001", status="running", heartbeat_at=time.time() + HOUR)
    time.sleep(1.5)  # the process died: no heartbeat for longer than the timeout
    run = store.get_run("ahead0000001")
    assert run.heartbeat_at is not None and run.heartbeat_at <= store.now()
    assert [r.id for r in reconcile(store, [run])] == ["ahead0000001"]
    assert store.get_run("ahead0000001").status == "crashed"
