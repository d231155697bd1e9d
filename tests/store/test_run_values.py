"""Run values (a run's own summary, importers' resume points) and run events (alerts), on both
engines: round trips, replacement by key, removal, order, and the checks at the boundary."""

from __future__ import annotations

import math

import pytest

from trainboard.errors import RunNotFoundError, UsageError
from trainboard.store.base import Store
from trainboard.store.records import EventRecord, RunRecord


def _run(store: Store, run_id: str = "r1") -> str:
    store.create_run(RunRecord(id=run_id, project="p", name=run_id, created_at=1.0))
    return run_id


def test_values_round_trip_replace_and_remove(store: Store) -> None:
    rid = _run(store)
    assert store.read_run_values(rid, "summary") == {}
    store.write_run_values(rid, "summary", {"best": 0.9, "note": "ok", "nested": {"a": [1, 2]}})
    store.write_run_values(rid, "summary", {"best": 0.95, "nan": math.nan})
    store.write_run_values(rid, "import", {"events.out": {"offset": 120}})
    assert store.read_run_values(rid, "summary") == {
        "best": 0.95,
        "nan": "NaN",
        "nested": {"a": [1, 2]},
        "note": "ok",
    }
    store.write_run_values(rid, "summary", {"note": None})
    assert "note" not in store.read_run_values(rid, "summary")
    assert store.read_run_values(rid, "import") == {"events.out": {"offset": 120}}


def test_events_keep_their_order_and_fields(store: Store) -> None:
    rid = _run(store)
    store.add_events(rid, [EventRecord("alert", "loss spike", "x 3", "warn", 10.0, step=7)])
    store.add_events(rid, [EventRecord("alert", "done", "", "info", 11.0)])
    got = store.read_events(rid)
    assert [(e.title, e.text, e.level, e.step, e.wall_time) for e in got] == [
        ("loss spike", "x 3", "warn", 7, 10.0),
        ("done", "", "info", None, 11.0),
    ]
    assert got[0].id is not None and got[1].id is not None and got[0].id < got[1].id


def test_deleting_a_run_deletes_its_values_and_events(store: Store) -> None:
    rid = _run(store)
    store.write_run_values(rid, "summary", {"best": 1})
    store.add_events(rid, [EventRecord("alert", "t", "x", "error", 1.0)])
    store.delete_runs([rid])
    _run(store, rid)
    assert store.read_run_values(rid, "summary") == {} and store.read_events(rid) == []


def test_bad_namespace_level_and_unknown_run_raise(store: Store) -> None:
    rid = _run(store)
    with pytest.raises(
        UsageError,
        match=r"namespace must be one of summary, import, control, alerts, ranks, attempts, got 'x'",  # noqa: E501
    ):
        store.write_run_values(rid, "x", {"a": 1})
    with pytest.raises(UsageError, match=r"level must be one of info, warn, error, got 'fatal'"):
        store.add_events(rid, [EventRecord("alert", "t", "x", "fatal", 1.0)])
    with pytest.raises(RunNotFoundError):
        store.read_events("nope")
    with pytest.raises(RunNotFoundError):
        store.write_run_values("nope", "summary", {"a": 1})
