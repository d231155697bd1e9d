"""read_series(start=, end=): only steps in [start, end], read from only the chunks that overlap
(store/base.py "Step ranges"), on SQLite and PostgreSQL through `store`."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sqlalchemy as sa

from trainboard.errors import UsageError
from trainboard.store import PointBatch, RunRecord, Store
from trainboard.store.sql.append import CHUNK_POINTS
from trainboard.store.sql.schema import chunks
from trainboard.store.sql.store import SQLStore

T0 = 1_700_000_000.0
RID = "aaaaaaaaaaaa"
N = 3 * CHUNK_POINTS + 100  # four chunks


def seed(store: Store, n: int = N, key: str = "x") -> None:
    store.create_run(RunRecord(id=RID, project="p", name="r"))
    steps = np.arange(n, dtype=np.int64)
    for lo in range(0, n, 5000):  # several writes, so chunks fill across batches
        s = steps[lo : lo + 5000]
        store.write_points(RID, {key: PointBatch(s, T0 + s * 0.1, s / 10.0)})


def test_range_returns_exactly_the_steps_inside(store: Store) -> None:
    seed(store)
    a, b = CHUNK_POINTS - 3, 2 * CHUNK_POINTS + 7  # spans three chunks
    s = store.read_series(RID, "x", start=a, end=b)
    assert s.steps.tolist() == list(range(a, b + 1))
    assert s.values.tolist() == [v / 10.0 for v in range(a, b + 1)]
    assert s.times[0] == pytest.approx(T0 + a * 0.1) and s.total == N and not s.downsampled
    # one bound only, a single step, a range with no points, a range past the end
    assert store.read_series(RID, "x", start=N - 2).steps.tolist() == [N - 2, N - 1]
    assert store.read_series(RID, "x", end=1).steps.tolist() == [0, 1]
    assert store.read_series(RID, "x", start=500, end=500).values.tolist() == [50.0]
    assert len(store.read_series(RID, "x", start=N, end=N + 10)) == 0
    assert len(store.read_series(RID, "x", start=-10, end=-1)) == 0
    assert store.read_series(RID, "x", start=-10, end=0).steps.tolist() == [0]


def test_range_is_downsampled_over_the_range_and_keeps_its_last_point(store: Store) -> None:
    seed(store)
    s = store.read_series(RID, "x", start=1000, end=20_000, max_points=100)
    assert s.downsampled and len(s) <= 101
    assert int(s.steps[0]) == 1000 and int(s.steps[-1]) == 20_000
    assert bool(np.all((s.steps >= 1000) & (s.steps <= 20_000)))
    # the 49 buckets split the range, not the whole series (that would leave a quarter empty)
    assert len(s) >= 97


def test_range_with_since_and_relogged_steps(store: Store) -> None:
    seed(store, n=200)
    # a resumed run re-logs steps 150..159 with other values: the later write wins
    re = np.arange(150, 160, dtype=np.int64)
    store.write_points(RID, {"x": PointBatch(re, T0 + re * 0.1, np.full(10, -1.0))})
    s = store.read_series(RID, "x", start=148, end=151)
    assert s.steps.tolist() == [148, 149, 150, 151]
    assert s.values.tolist() == [14.8, 14.9, -1.0, -1.0]
    s = store.read_series(RID, "x", since=149, start=100, end=152)
    assert s.steps.tolist() == [150, 151, 152]


def test_range_keeps_non_finite_values(store: Store) -> None:
    store.create_run(RunRecord(id=RID, project="p", name="r"))
    vals = [1.0, math.nan, math.inf, -math.inf, 2.0]
    store.write_points(RID, {"x": PointBatch.of(range(5), [T0 + i for i in range(5)], vals)})
    got = store.read_series(RID, "x", start=1, end=3).values
    assert math.isnan(got[0]) and got[1] == math.inf and got[2] == -math.inf


def test_range_errors_name_the_bounds(store: Store) -> None:
    seed(store, n=10)
    with pytest.raises(UsageError) as e:
        store.read_series(RID, "x", start=5, end=4)
    assert str(e.value) == "read_series: start must be <= end, got start=5, end=4"


def test_range_reads_only_the_chunks_that_overlap(store: Store) -> None:
    """Break the first chunk's bytes: a range beyond it still reads, a whole read fails,
    so the range read never touched that chunk."""
    seed(store)
    assert isinstance(store, SQLStore)
    with store.engine.begin() as conn:
        broken = conn.execute(
            sa.update(chunks)
            .where(chunks.c.run_id == RID, chunks.c.key == "x", chunks.c.step_min == 0)
            .values(data=b"\x00broken")
        ).rowcount
    assert broken == 1
    s = store.read_series(RID, "x", start=CHUNK_POINTS, end=CHUNK_POINTS + 1)
    assert s.steps.tolist() == [CHUNK_POINTS, CHUNK_POINTS + 1]
    assert store.read_series(RID, "x", start=N - 1).steps.tolist() == [N - 1]
    with pytest.raises(Exception):  # noqa: B017 - whatever the codec raises on garbage
        store.read_series(RID, "x")
