"""Store.import_runs (#24): many new runs with their points in one transaction, on both
engines. What it stores must be exactly what create_run + write_points store (runs, series,
summaries, chunk rows), and a refused import must store nothing at all."""

from __future__ import annotations

import numpy as np
import pytest
import sqlalchemy as sa

from trainboard.errors import UsageError
from trainboard.store import PointBatch, RunQuery, RunRecord, Store
from trainboard.store.sql.append import CHUNK_POINTS
from trainboard.store.sql.schema import chunks

T0 = 1_700_000_000.0


def _run(i: int, **kw: object) -> RunRecord:
    fields: dict[str, object] = {
        "project": "p",
        "name": f"run-{i}",
        "status": "finished",
        "created_at": T0 + i,
        "config": {"lr": 1e-3 * (i + 1), "nested": {"layers": i}},
        "tags": ["a"] if i % 2 else [],
    }
    fields.update(kw)
    return RunRecord(id=f"{i:012x}", **fields)  # type: ignore[arg-type]


def _batches(i: int, n: int) -> dict[str, PointBatch]:
    rng = np.random.default_rng(i)
    steps = np.arange(n, dtype=np.int64)
    loss = rng.normal(1.0, 0.3, n)
    if n > 5:
        loss[3] = np.nan  # NaN is stored and skipped by min/max
    acc = rng.uniform(0, 1, n // 4 or 1)
    return {
        "train/loss": PointBatch(steps, T0 + steps * 0.5, loss),
        "eval/acc": PointBatch(np.arange(acc.shape[0]) * 4, T0 + np.arange(acc.shape[0]), acc),
    }


def _chunk_rows(store: Store, run_id: str) -> list[tuple[object, ...]]:
    cols = [c for c in chunks.c if c.name != "run_id"]
    q = sa.select(*cols).where(chunks.c.run_id == run_id).order_by(chunks.c.key, chunks.c.seq)
    with store.engine.connect() as conn:  # type: ignore[attr-defined]
        return [tuple(r) for r in conn.execute(q)]


@pytest.mark.parametrize("n", [1, 37, CHUNK_POINTS + 5])
def test_import_stores_what_create_and_write_store(store: Store, n: int) -> None:
    """One chunk, a tiny series and more than one chunk: runs, summaries, series and the chunk
    rows themselves are the same as create_run + write_points make."""
    plain, imported = _run(1), _run(2)
    store.create_run(plain)
    store.write_points(plain.id, _batches(7, n))
    assert store.import_runs([(imported, _batches(7, n))]) == 1
    a, b = store.get_run(plain.id), store.get_run(imported.id)
    assert b.config == imported.config and b.tags == imported.tags and b.status == "finished"
    assert a.last_step == b.last_step == n - 1
    assert a.summary == b.summary and set(b.summary) == {"train/loss", "eval/acc"}
    for key in a.summary:
        sa_, sb = store.read_series(plain.id, key), store.read_series(imported.id, key)
        assert sa_.steps.tolist() == sb.steps.tolist()
        assert sa_.values.view(np.uint64).tolist() == sb.values.view(np.uint64).tolist()
    assert _chunk_rows(store, plain.id) == _chunk_rows(store, imported.id)


def test_import_many_runs_lists_them_in_order(store: Store) -> None:
    items = [(_run(i), _batches(i, 20 + i)) for i in range(300)]
    assert store.import_runs(items) == 300
    page = store.list_runs(RunQuery(limit=5))
    assert [r.id for r in page] == [f"{i:012x}" for i in (299, 298, 297, 296, 295)]
    assert page[0].summary["train/loss"].count == 319
    assert page[0].summary["train/loss"].last_step == 318
    assert store.count_runs() == 300


def test_a_run_without_points_and_keys_without_points(store: Store) -> None:
    empty = {"x": PointBatch(np.zeros(0, np.int64), np.zeros(0), np.zeros(0))}
    store.import_runs([(_run(1), {}), (_run(2, last_step=5), empty)])
    assert store.get_run(_run(1).id).summary == {}
    got = store.get_run(_run(2).id)
    assert got.summary == {} and got.last_step == 5


def test_an_existing_id_refuses_the_whole_import(store: Store) -> None:
    store.create_run(_run(5))
    with pytest.raises(UsageError, match="already exists"):
        store.import_runs([(_run(4), _batches(4, 10)), (_run(5), _batches(5, 10))])
    assert store.count_runs() == 1  # run 4 was not stored either
    assert store.get_run(_run(5).id).summary == {}


def test_a_repeated_id_or_a_bad_batch_refuses_the_whole_import(store: Store) -> None:
    with pytest.raises(UsageError, match="twice"):
        store.import_runs([(_run(1), {}), (_run(1), {})])
    bad = {"loss": PointBatch(np.arange(3), np.zeros(2), np.zeros(3))}
    with pytest.raises(UsageError, match="'loss'"):
        store.import_runs([(_run(2), _batches(2, 10)), (_run(3), bad)])
    assert store.count_runs() == 0


def test_a_running_run_gets_its_heartbeat_on_the_store_clock(store: Store) -> None:
    store.import_runs([(_run(1, status="running", heartbeat_at=T0), {})])
    got = store.get_run(_run(1).id)
    assert got.heartbeat_at is not None and abs(got.heartbeat_at - store.now()) < 60
