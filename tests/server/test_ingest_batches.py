"""A batch of ingest ops applied by the server's IngestLog into a real store (SQLite and
PostgreSQL): consecutive points ops of one run are written as one write_points
(routes/ingest.py `_PointsGroup`), and that must store exactly what writing them one by one
stores: the later write of a step wins, NaN and ±inf kept, summaries the same, a refused op
refused alone, a retried batch applied once."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import orjson

from trainboard.server.ownership import LOCAL, Owners, Who
from trainboard.server.routes.ingest import IngestIn, IngestLog
from trainboard.store.base import Store
from trainboard.store.records import PointBatch
from trainboard.store.remote.wire import points_op

ADMIN = Who(LOCAL, "admin")


def _points(run: str, steps: list[int], **values: list[float]) -> dict[str, Any]:
    s = np.array(steps, dtype=np.int64)
    t = 1_700_000_000.0 + s * 0.5 + 0.25 * (len(steps) % 3)  # each op its own wall times
    batches = {k: PointBatch(s, t, np.array(v, dtype=np.float64)) for k, v in values.items()}
    return dict(orjson.loads(points_op(run, batches)))


def _ops(a: str, b: str) -> list[dict[str, Any]]:
    """Ops of run `a` (steps re-logged, a key that joins late, NaN and ±inf) with an op of run
    `b` and an update of `a` between them."""
    nan, inf = math.nan, math.inf
    return [
        {"op": "create_run", "run": {"id": a, "project": "p", "name": a, "created_at": 1.0}},
        {"op": "create_run", "run": {"id": b, "project": "p", "name": b, "created_at": 1.0}},
        _points(a, [0, 1, 2], loss=[3.0, nan, 2.0], lr=[1.0, 1.0, 1.0]),
        _points(a, [1, 2, 3, 4], loss=[2.5, 1.5, -inf, 1.0], lr=[0.5, 0.5, 0.5, 0.5]),
        _points(a, [5], loss=[0.5], acc=[0.1]),
        _points(b, [0, 1], loss=[9.0, 8.0]),
        _points(a, [6, 7], loss=[0.25, 4.0], acc=[0.2, 0.3]),
        {"op": "update_run", "run": a, "fields": {"notes": "halfway"}},
        _points(a, [3, 8], loss=[0.75, inf], lr=[0.25, 0.25]),  # step 3 again: wins
        _points(a, [9], acc=[0.4]),
    ]


def _apply(log: IngestLog, store: Store, client: str, seq: int, ops: list[Any]) -> Any:
    body = IngestIn(client=client, seq=seq, ops=ops)
    return log.apply(store, body, ADMIN, Owners(store))


def _stored(store: Store, run: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    rec = store.get_run(run)
    for key in store.metric_keys(run):
        s = store.read_series(run, key)
        out[key] = (s.steps.tolist(), s.times.tobytes(), s.values.tobytes(), rec.summary[key])
    return out


def test_points_ops_of_one_run_in_a_batch_store_what_one_by_one_stores(store: Store) -> None:
    log = IngestLog()
    together = _ops("a1", "b1")
    out = _apply(log, store, "batch", 0, together)
    assert out == {"applied": len(together), "skipped": 0, "last_seq": 9, "errors": []}
    for seq, op in enumerate(_ops("a2", "b2")):
        assert _apply(log, store, "single", seq, [op])["errors"] == []

    assert _stored(store, "a1") == _stored(store, "a2")
    assert _stored(store, "b1") == _stored(store, "b2")
    loss = store.read_series("a1", "loss")
    assert loss.steps.tolist() == list(range(9))
    want = [3.0, 2.5, 1.5, 0.75, 1.0, 0.5, 0.25, 4.0, math.inf]  # the later write of each step
    assert loss.values.tolist() == want
    summary = store.get_run("a1").summary["loss"]
    assert (summary.count, summary.min, summary.max, summary.last) == (9, 0.25, 4.0, math.inf)
    assert store.read_series("a1", "acc").steps.tolist() == [5, 6, 7, 9]
    assert store.read_series("b1", "loss").values.tolist() == [9.0, 8.0]
    assert store.get_run("a1").notes == "halfway"


def test_nan_and_its_payload_come_through_a_joined_write(store: Store) -> None:
    payload_nan = np.frombuffer(np.uint64(0x7FF8_0000_DEAD_BEEF).tobytes(), dtype="<f8")[0]
    log = IngestLog()
    ops = [
        {"op": "create_run", "run": {"id": "r", "project": "p", "name": "r", "created_at": 1.0}},
        _points("r", [0, 1], loss=[payload_nan, 1.0]),
        _points("r", [1, 2], loss=[math.nan, -math.inf]),
    ]
    assert _apply(log, store, "c", 0, ops)["errors"] == []
    values = store.read_series("r", "loss").values
    assert values[0].tobytes() == np.float64(payload_nan).tobytes()
    assert math.isnan(values[1]) and values[2] == -math.inf
    assert store.get_run("r").summary["loss"].count == 3


def test_a_joined_write_refused_is_refused_op_by_op_and_the_rest_applied(store: Store) -> None:
    log = IngestLog()
    ops = [
        {"op": "create_run", "run": {"id": "r", "project": "p", "name": "r", "created_at": 1.0}},
        _points("r", [0], loss=[1.0]),
        _points("ghost", [0], loss=[1.0]),  # no such run: refused...
        _points("ghost", [1], loss=[2.0]),  # ...and so is each of its ops
        {"op": "points", "run": "r", "packed": "not a list"},  # malformed: refused alone
        _points("r", [1], loss=[2.0]),
        _points("r", [2], loss=[3.0]),
    ]
    out = _apply(log, store, "c", 0, ops)
    assert [(e["seq"], e["code"]) for e in out["errors"]] == [
        (2, "run_not_found"),
        (3, "run_not_found"),
        (4, "bad_request"),
    ]
    assert (out["applied"], out["last_seq"]) == (7, 6)
    assert store.read_series("r", "loss").values.tolist() == [1.0, 2.0, 3.0]


def test_a_retried_batch_is_skipped_and_a_partly_new_one_applies_only_the_new_ops(
    store: Store,
) -> None:
    log = IngestLog()
    ops = _ops("a", "b")
    assert _apply(log, store, "c", 0, ops)["errors"] == []
    before = _stored(store, "a")
    again = _apply(log, store, "c", 0, ops)
    assert (again["applied"], again["skipped"], again["last_seq"]) == (0, len(ops), 9)
    assert _stored(store, "a") == before
    more = [*ops[8:], _points("a", [3, 10], loss=[7.0, 8.0])]  # seq 8, 9 seen; seq 10 new
    out = _apply(log, store, "c", 8, more)
    assert (out["applied"], out["skipped"], out["last_seq"]) == (1, 2, 10)
    loss = store.read_series("a", "loss")
    assert loss.steps.tolist() == [*range(9), 10]
    assert loss.values[3] == 7.0 and store.get_run("a").summary["loss"].count == 10
