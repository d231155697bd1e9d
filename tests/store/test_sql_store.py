"""The SQL engines' own behaviour beyond the store contract (tests/store/test_store.py), on
SQLite and PostgreSQL through `store`: how points pack into chunks and the conditional status
write that `reconcile` needs. The remote engine has neither (it has no `engine`, and only the
server marks runs crashed)."""

from __future__ import annotations

import numpy as np
import pytest

from trainboard.errors import RunNotFoundError, UsageError
from trainboard.store import PointBatch, RunRecord, Store
from trainboard.store.sql.append import CHUNK_POINTS

T0 = 1_700_000_000.0


def make_run(store: Store, run_id: str = "aaaaaaaaaaaa") -> RunRecord:
    return store.create_run(RunRecord(id=run_id, project="p", name=f"run-{run_id}"))


def batch(steps: range, values: list[float]) -> PointBatch:
    return PointBatch.of(list(steps), [T0 + s * 0.1 for s in steps], values)


def bits(a: np.ndarray) -> list[int]:
    return np.asarray(a, dtype=np.float64).view(np.uint64).tolist()


def test_small_appends_pack_into_full_chunks(store: Store) -> None:
    import sqlalchemy as sa

    from trainboard.store.sql.schema import chunks

    make_run(store)
    n, per = 2 * CHUNK_POINTS + 3000, 100  # small flushes, like the SDK's
    vals = np.random.default_rng(5).normal(size=n)
    for i in range(0, n, per):
        j = min(i + per, n)
        store.write_points("aaaaaaaaaaaa", {"x": batch(range(i, j), vals[i:j].tolist())})
    s = store.read_series("aaaaaaaaaaaa", "x")
    assert s.steps.tolist() == list(range(n)) and bits(s.values) == bits(vals)
    q = sa.select(chunks.c.seq, chunks.c.n, chunks.c.step_min, chunks.c.step_max)
    with store.engine.connect() as conn:  # type: ignore[attr-defined]
        rows = conn.execute(q.order_by(chunks.c.seq)).all()
    assert [r.seq for r in rows] == list(range(len(rows)))
    assert sum(r.n for r in rows) == n
    assert [r.n for r in rows[:2]] == [CHUNK_POINTS, CHUNK_POINTS]  # folded full
    assert len(rows) <= 4
    for a, b in zip(rows, rows[1:], strict=False):
        assert a.step_max < b.step_min
    summ = store.get_run("aaaaaaaaaaaa").summary["x"]
    assert summ.count == n and summ.max == vals.max() and summ.max_step == int(vals.argmax())


def test_update_run_if_writes_only_while_the_status_is_as_expected(store: Store) -> None:
    store.create_run(RunRecord(id="a" * 12, project="p", name="r"))
    assert store.update_run_if("a" * 12, "running", status="crashed", finished_at=5.0) is True
    assert store.get_run("a" * 12).status == "crashed"
    assert store.update_run_if("a" * 12, "running", status="finished", notes="late") is False
    got = store.get_run("a" * 12)
    assert (got.status, got.finished_at, got.notes) == ("crashed", 5.0, None)
    with pytest.raises(RunNotFoundError):
        store.update_run_if("b" * 12, "running", status="crashed")
    with pytest.raises(UsageError, match="status must be one of"):
        store.update_run_if("a" * 12, "runing", status="crashed")  # type: ignore[arg-type]


def test_a_run_that_returns_to_running_clears_finished_at(store: Store) -> None:
    """crashed -> running (its heartbeat came back after an outage): the run has not finished,
    so its duration must keep growing, not stay frozen at the crash mark."""
    make_run(store)
    store.update_run("aaaaaaaaaaaa", status="crashed", finished_at=T0 + 60)
    assert store.get_run("aaaaaaaaaaaa").finished_at == T0 + 60
    assert store.update_run_if("aaaaaaaaaaaa", "crashed", status="running") is True
    assert store.get_run("aaaaaaaaaaaa").finished_at is None
    store.update_run("aaaaaaaaaaaa", status="killed", finished_at=T0 + 90)
    store.update_run("aaaaaaaaaaaa", status="running", heartbeat_at=T0 + 95)
    got = store.get_run("aaaaaaaaaaaa")
    assert (got.status, got.finished_at) == ("running", None)
    assert got.heartbeat_at is not None and abs(got.heartbeat_at - store.now()) < 60  # stamped
