"""A long series downsampled from its chunk rows (store/sql/tiers.py), on both engines: every
point returned is a stored point, each bucket's spike and every NaN survive, the last point is
exact, a step range is honoured, and a resumed run's re-logged steps (merged into the chunks
they overlap) are read from chunk rows too, later writes winning."""

from __future__ import annotations

import numpy as np
import pytest

from trainboard.store import open_store
from trainboard.store.codec.downsample import bucket_indices
from trainboard.store.records import PointBatch, RunRecord
from trainboard.store.sql import append

N = 1_300_000
RID = "t" * 12


def _series() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    steps = np.arange(N, dtype=np.int64)
    rng = np.random.default_rng(3)
    values = 1 + np.exp(-steps / 3e5) + rng.normal(0, 0.01, N)
    values[777_777] = 40.0  # a spike
    values[1_000_001] = np.nan
    values[1_200_000] = -np.inf
    return steps, 1.7e9 + steps * 0.01, values


def _write(url: str) -> None:
    steps, times, values = _series()
    with open_store(url) as db:
        db.create_run(RunRecord(id=RID, project="p", name="long"))
        for a in range(0, N, 400_000):
            cut = slice(a, a + 400_000)
            db.write_points(RID, {"loss": PointBatch(steps[cut], times[cut], values[cut])})


@pytest.mark.parametrize("x", ["step", "time"])
def test_long_series_from_chunk_rows(store_url: str, x: str) -> None:
    _write(store_url)
    steps, times, values = _series()
    with open_store(store_url) as db:
        s = db.read_series(RID, "loss", max_points=200, x=x)  # type: ignore[arg-type]
        assert s.downsampled and s.total == N
        assert len(s) <= 200 + 3  # the buckets' extremes, the NaN, the -inf, the last point
        idx = s.steps.astype(np.int64)
        assert np.all(np.diff(idx) > 0)
        assert np.array_equal(values[idx], s.values, equal_nan=True)  # stored points only
        assert np.allclose(times[idx], s.times)
        assert {777_777, 1_000_001, 1_200_000, N - 1} <= set(idx.tolist())
        # every bucket of the decoded read has its extremes within one chunk of ours
        ref = bucket_indices(steps, values, 200)
        assert abs(len(ref) - len(idx)) <= 10
        assert np.nanmax(s.values[np.isfinite(s.values)]) == 40.0


def test_step_range_and_since(store_url: str) -> None:
    _write(store_url)
    _, _, values = _series()
    with open_store(store_url) as db:
        s = db.read_series(RID, "loss", max_points=100, start=5_000, end=1_100_000)
        idx = s.steps.astype(np.int64)
        assert idx[0] >= 5_000 and idx[-1] == 1_100_000
        assert 777_777 in idx and 1_000_001 in idx and 1_200_000 not in idx
        assert np.array_equal(values[idx], s.values, equal_nan=True)
        s = db.read_series(RID, "loss", max_points=100, since=100_000)
        assert int(s.steps[0]) > 100_000 and int(s.steps[-1]) == N - 1


def test_relogged_steps_are_read_from_chunk_rows_later_write_wins(store_url: str) -> None:
    """A resumed run re-logged steps: they are merged into the chunks they overlap (chunks stay
    disjoint, append.plan_relog), so the downsampled read still comes from chunk rows, and
    every point it returns is the later write of its step."""
    _write(store_url)
    with open_store(store_url) as db:
        again = np.arange(500_000, 520_000, dtype=np.int64)
        db.write_points(RID, {"loss": PointBatch(again, 1.8e9 + again, np.full(again.shape, 9.0))})
        got = db.read_series(RID, "loss", max_points=200)
        whole = db.read_series(RID, "loss")
        assert got.downsampled and got.steps.shape[0] <= 202  # + the NaN and the -inf
        at = np.searchsorted(whole.steps, got.steps)
        assert np.array_equal(whole.steps[at], got.steps)
        assert np.array_equal(whole.values[at], got.values, equal_nan=True)
        assert 9.0 in got.values and int(got.steps[-1]) == int(whole.steps[-1])
        assert float(whole.values[whole.steps == 510_000][0]) == 9.0


def test_chunk_stats_of_a_chunk() -> None:
    s = np.array([1, 2, 3], dtype=np.int64)
    t = np.array([10, 20, 30], dtype=np.int64)
    st = append.chunk_stats(s, t, np.array([2.0, 1.0, 3.0]))
    assert st == {
        "n": 3, "step_min": 1, "step_max": 3, "time_min": 1e-5, "time_max": 3e-5,
        "value_min": 1.0, "value_max": 3.0,
        "min_step": 2, "min_time": 2e-5, "max_step": 3, "max_time": 3e-5, "plain": True,
    }  # fmt: skip
    nan = append.chunk_stats(s, t, np.array([np.nan, 1.0, 1.0]))
    assert nan["plain"] is False and nan["min_step"] == 2 and nan["max_step"] == 2
    back = append.chunk_stats(s[::-1].copy(), t, np.array([1.0, 1.0, 1.0]))
    assert back["plain"] is False and back["step_min"] == 1 and back["step_max"] == 3
    none = append.chunk_stats(s, t, np.array([np.nan, np.inf, -np.inf]))
    assert none["value_min"] is None and none["min_step"] is None and none["plain"] is False
