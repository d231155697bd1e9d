"""A resumed run writing steps again (#24): only the chunks the new points overlap are
rewritten, and the summary (count, last, min, max with their steps, time range) is what the
whole series says, on both engines. Every case is checked against a plain dict of
step -> (time, value) that applies "later writes win" itself."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sqlalchemy as sa

from trainboard.store import PointBatch, RunRecord, Store
from trainboard.store.sql.append import CHUNK_POINTS
from trainboard.store.sql.schema import chunks

T0 = 1_700_000_000.0
KEY = "train/loss"
C = CHUNK_POINTS


class Model:
    """What the store should hold: step -> (wall time, value)."""

    def __init__(self) -> None:
        self.points: dict[int, tuple[float, float]] = {}

    def write(self, store: Store, run_id: str, steps: list[int], values: list[float]) -> None:
        times = [T0 + s * 0.1 + 1000 * len(self.points) for s in steps]  # re-logs come later
        store.write_points(run_id, {KEY: PointBatch.of(steps, times, values)})
        for s, t, v in zip(steps, times, values, strict=True):
            self.points[s] = (round(t * 1e6) / 1e6, v)

    def check(self, store: Store, run_id: str) -> None:
        steps = sorted(self.points)
        vals = [self.points[s][1] for s in steps]
        got = store.read_series(run_id, KEY)
        assert got.steps.tolist() == steps
        assert np.array_equal(got.values, np.array(vals), equal_nan=True)
        summ = store.get_run(run_id).summary[KEY]
        assert summ.count == len(steps)
        assert summ.last_step == steps[-1]
        assert (math.isnan(summ.last) and math.isnan(vals[-1])) or summ.last == vals[-1]
        finite = [(v, s) for s, v in zip(steps, vals, strict=True) if math.isfinite(v)]
        low = min(finite)  # ties: the earlier step
        high = min((-v, s) for v, s in finite)
        assert (summ.min, summ.min_step) == low
        assert (summ.max, summ.max_step) == (-high[0], high[1])
        times = [self.points[s][0] for s in steps]
        assert summ.first_time == pytest.approx(min(times), abs=1e-6)
        assert summ.last_time == pytest.approx(max(times), abs=1e-6)


def _chunk_ranges(store: Store, run_id: str) -> list[tuple[int, int, int]]:
    q = sa.select(chunks.c.seq, chunks.c.step_min, chunks.c.step_max).where(
        chunks.c.run_id == run_id, chunks.c.key == KEY
    )
    with store.engine.connect() as conn:  # type: ignore[attr-defined]
        return [tuple(r) for r in conn.execute(q.order_by(chunks.c.seq))]  # type: ignore[misc]


def _disjoint(store: Store, run_id: str) -> bool:
    r = _chunk_ranges(store, run_id)
    return [x[0] for x in r] == list(range(len(r))) and all(
        r[i + 1][1] > r[i][2] for i in range(len(r) - 1)
    )


@pytest.fixture
def run(store: Store) -> tuple[str, Model]:
    store.create_run(RunRecord(id="aaaaaaaaaaaa", project="p", name="resumed"))
    m = Model()
    steps = list(range(0, 2 * (3 * C + 100), 2))  # even steps: gaps to re-log into
    rng = np.random.default_rng(0)
    m.write(store, "aaaaaaaaaaaa", steps, (1.0 + rng.random(len(steps))).tolist())
    m.check(store, "aaaaaaaaaaaa")
    return "aaaaaaaaaaaa", m


def test_relog_inside_and_at_the_edges_of_chunks(store: Store, run: tuple[str, Model]) -> None:
    rid, m = run
    before = _chunk_ranges(store, rid)
    assert len(before) == 4 and _disjoint(store, rid)
    c0_max, c1_min = before[0][2], before[1][1]
    # inside chunk 1: a new minimum there
    m.write(store, rid, [c1_min + 10, c1_min + 12], [0.25, 1.5])
    m.check(store, rid)
    # the last step of chunk 0 and the first of chunk 1: the edges, and a new maximum
    m.write(store, rid, [c0_max, c1_min], [9.0, 1.1])
    m.check(store, rid)
    # overwrite the minimum itself with a higher value: the minimum moves elsewhere
    m.write(store, rid, [c1_min + 10], [3.0])
    m.check(store, rid)
    # an odd step in the gap between chunks 1 and 2 (no chunk holds that step range)
    c1_max = _chunk_ranges(store, rid)[1][2]
    m.write(store, rid, [c1_max + 1], [0.5])
    m.check(store, rid)
    # before the first step, and the very first step
    m.write(store, rid, [-5, 0], [1.2, float("nan")])
    m.check(store, rid)
    assert _disjoint(store, rid)
    assert len(_chunk_ranges(store, rid)) == 4  # rewritten in place, nothing appended


def test_relog_over_the_tail_and_beyond(store: Store, run: tuple[str, Model]) -> None:
    rid, m = run
    last = max(m.points)
    # the resumed run's usual case: from a checkpoint a bit before the end, on past it
    steps = list(range(last - 300, last + 500))
    m.write(store, rid, steps, [2.5 - s / 1e5 for s in steps])
    m.check(store, rid)
    # the last point overwritten with NaN: last is NaN, min/max from the finite ones
    m.write(store, rid, [max(m.points)], [float("nan")])
    m.check(store, rid)
    # then a plain append, after the re-logs
    m.write(store, rid, [max(m.points) + 1], [0.01])
    m.check(store, rid)
    assert _disjoint(store, rid)


def test_relog_touches_only_the_chunks_it_overlaps(store: Store, run: tuple[str, Model]) -> None:
    rid, m = run
    q = sa.select(chunks.c.seq, chunks.c.data).where(chunks.c.run_id == rid, chunks.c.key == KEY)
    with store.engine.connect() as conn:  # type: ignore[attr-defined]
        before = dict(conn.execute(q).all())
    c2 = _chunk_ranges(store, rid)[2]
    m.write(store, rid, [c2[1] + 4], [1.7])
    m.check(store, rid)
    with store.engine.connect() as conn:  # type: ignore[attr-defined]
        after = dict(conn.execute(q).all())
    assert [s for s in before if bytes(before[s]) != bytes(after[s])] == [2]


def test_chunks_out_of_order_are_put_in_order_once(store: Store, run: tuple[str, Model]) -> None:
    """A key whose chunks overlap or are out of seq order (as re-logs left them before): the
    next re-log rewrites it whole, in order, with the right summary."""
    rid, m = run
    where = sa.and_(chunks.c.run_id == rid, chunks.c.key == KEY)
    with store.engine.begin() as conn:  # type: ignore[attr-defined]
        for a, b in ((0, -1), (1, 0), (-1, 1)):  # swap the seqs of chunks 0 and 1
            conn.execute(sa.update(chunks).where(where, chunks.c.seq == a).values(seq=b))
    assert not _disjoint(store, rid)
    m.write(store, rid, [10], [0.125])
    m.check(store, rid)
    assert _disjoint(store, rid)
