"""A rank that stops beating crashes its run, naming it (analysis/rankbeat.py), with rank
heartbeats stamped on the store's clock (store/sql/attached.py)."""

from __future__ import annotations

import os
import socket
import time

import pytest

from trainboard.analysis.rankbeat import crash_if_a_rank_is_silent, silent_ranks
from trainboard.store.base import Store
from trainboard.store.records import PointBatch, RunRecord


def _job(store: Store, run_id: str, ranks: dict[str, dict[str, object]]) -> RunRecord:
    now = time.time()
    run = RunRecord(
        id=run_id, project="p", name=run_id, created_at=now, heartbeat_at=now,
        host=socket.gethostname(), pid=os.getpid(),
    )  # fmt: skip
    store.create_run(run)
    batch = PointBatch.of([3], [now], [2.0])
    store.write_points(run_id, {"sys/rank0/steps_per_s": batch, "sys/rank1/steps_per_s": batch})
    store.write_run_values(run_id, "ranks", ranks)
    return store.get_run(run_id)


def test_only_a_rank_other_than_0_that_has_not_ended_and_beat_long_ago_is_silent() -> None:
    ranks = {
        "0": {"seen_at": 0.0, "ended": None},  # rank 0's heartbeat is the run's
        "1": {"seen_at": 0.0, "ended": None, "host": "b"},
        "2": {"seen_at": 0.0, "ended": "finished"},
        "3": {"ended": None},  # never beat (heartbeats off, an older client)
        "4": {"seen_at": 95.0, "ended": None},
    }
    assert silent_ranks(ranks, now=100.0, timeout=10.0) == [(1, ranks["1"])]


def test_the_store_stamps_a_rank_beat_with_its_own_clock(store: Store) -> None:
    run = _job(
        store,
        "r" * 12,
        {"1": {"seen_at": 5.0, "ended": None}, "2": {"seen_at": 5.0, "ended": "finished"}},
    )
    got = store.read_run_values(run.id, "ranks")
    assert got["1"]["seen_at"] == pytest.approx(store.now(), abs=60)  # not the host's 5.0
    assert got["2"]["seen_at"] == 5.0  # an ended rank's value is kept as sent


def test_a_silent_rank_crashes_the_run_once_with_its_rank_host_and_step(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRAINBOARD_HEARTBEAT_TIMEOUT", "60")
    one = {"ended": None, "host": "node-b", "pid": 7, "local_rank": 1, "seen_step": 40}
    run = _job(store, "s" * 12, {"1": dict(one, seen_at=1.0)})
    assert not crash_if_a_rank_is_silent(store, run, store.now())  # beat just now
    later = store.now() + 120
    assert crash_if_a_rank_is_silent(store, run, later)
    stored = store.get_run(run.id)
    expected = "rank 1 (host node-b, GPU 1) stopped sending heartbeats at step 40"
    assert stored.status == "crashed" and stored.notes == expected
    assert [(e.kind, e.title, e.level) for e in store.read_events(run.id)] == [
        ("rank", expected, "error")
    ]
    assert not crash_if_a_rank_is_silent(store, stored, later)  # once


def test_a_rank_that_finished_never_crashes_the_run(store: Store) -> None:
    done = {"ended": "finished", "host": "node-b", "seen_at": 1.0}
    run = _job(store, "t" * 12, {"1": done})
    assert not crash_if_a_rank_is_silent(store, run, store.now() + 1e6)
    assert store.get_run(run.id).status == "running"
