"""Min/max downsampling against a plain-Python reference, and step ordering."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from trainboard.store.codec.downsample import bucket_edges, bucket_indices, step_order


def reference(x: list[float], values: list[float], max_points: int) -> list[int]:
    """The contract, written the slow and obvious way."""
    n = len(x)
    if n <= max_points:
        return list(range(n))
    nb = max(1, (max_points - 1) // 2)
    edges = bucket_edges(min(x), max(x), nb).tolist()
    buckets: dict[int, list[int]] = {}
    for i, xi in enumerate(x):
        buckets.setdefault(sum(e <= xi for e in edges), []).append(i)
    keep = {n - 1} | {i for i, v in enumerate(values) if not math.isfinite(v)}
    for members in buckets.values():
        finite = [i for i in members if math.isfinite(values[i])]
        if finite:
            keep.add(min(finite, key=lambda i: (values[i], i)))
            keep.add(min(finite, key=lambda i: (-values[i], i)))
    return sorted(keep)


values_st = st.one_of(
    st.floats(-1e6, 1e6), st.sampled_from([math.nan, math.inf, -math.inf, 0.0, 1.0])
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 10_000), values_st), min_size=1, max_size=400),
    st.integers(1, 60),
    st.booleans(),
)
def test_matches_reference(points: list[tuple[int, float]], max_points: int, sort: bool) -> None:
    if sort:
        points = sorted(points, key=lambda p: p[0])
    xs = [p[0] for p in points]
    vals = [p[1] for p in points]
    want = reference([float(v) for v in xs], vals, max_points)
    got_int = bucket_indices(np.array(xs, dtype=np.int64), np.array(vals), max_points)
    got_float = bucket_indices(np.array(xs, dtype=np.float64), np.array(vals), max_points)
    assert got_int.tolist() == want
    assert got_float.tolist() == want


def test_size_is_bounded_and_spikes_survive() -> None:
    n = 1_000_000
    rng = np.random.default_rng(3)
    vals = rng.normal(size=n)
    vals[777_777] = 50.0
    idx = bucket_indices(np.arange(n, dtype=np.int64), vals, 2000)
    assert len(idx) <= 2000 and idx[-1] == n - 1 and 777_777 in idx
    assert np.all(np.diff(idx) > 0)


def test_step_order_later_write_wins() -> None:
    steps = np.array([0, 1, 2, 1, 3, 2], dtype=np.int64)
    order = step_order(steps)
    assert order is not None and order.tolist() == [0, 3, 5, 4]
    assert step_order(np.arange(5, dtype=np.int64)) is None
