"""Step ordering and min/max downsampling of one series, vectorised with numpy.

Both engines read chunks, concatenate them in write order and hand the columns here, so the
contract in base.py (step order, later write wins, min/max buckets, last point kept, NaN kept)
lives in one place.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Int64s = npt.NDArray[np.int64]
Float64s = npt.NDArray[np.float64]


def step_order(steps: Int64s) -> Int64s | None:
    """Indices that put points written in `steps` order into step order, keeping only the
    last write of each step; None when the points already are (strictly increasing steps,
    the common case, checked in one vectorised pass)."""
    n = steps.shape[0]
    if n < 2 or bool((steps[1:] > steps[:-1]).all()):  # the method: no np.all overhead
        return None
    order = np.argsort(steps, kind="stable")
    s = steps[order]
    keep = np.empty(n, dtype=bool)
    keep[-1] = True
    np.not_equal(s[1:], s[:-1], out=keep[:-1])  # the last of each equal run is the latest write
    return order[keep].astype(np.int64)


def bucket_indices(x: Float64s | Int64s, values: Float64s, max_points: int) -> Int64s:
    """Indices (ascending) of the points to keep so that a chart of at most about
    `max_points` points keeps every spike.

    The x range is split into equal buckets: `(max_points - 1) // 2` of them, so the min and
    max of each plus the exact last point make at most `max_points`. Per non-empty bucket the
    first point holding the bucket's minimum finite value and the first holding its maximum
    are kept; every non-finite value (NaN, ±inf) is kept as its own point on top, so a
    divergence is never hidden; the last point is always kept. `x` (int steps or float wall
    times) is in series order; when it is not monotone (wall times of a resumed run) buckets
    are still exact, only slower.
    """
    n = x.shape[0]
    if n <= max_points:
        return np.arange(n, dtype=np.int64)
    nb = max(1, (max_points - 1) // 2)
    if not bool(np.all(x[1:] >= x[:-1])):
        return _buckets_unsorted(x.astype(np.float64), values, nb)
    edges = bucket_edges(float(x[0]), float(x[-1]), nb)
    # x is sorted: each bucket's first point is found by binary search, so no per-point
    # bucket number is ever computed
    if x.dtype.kind == "i":
        starts = np.searchsorted(x, np.ceil(edges).astype(np.int64), side="left")
    else:
        starts = np.searchsorted(x, edges, side="left")
    starts = _sorted_unique(np.concatenate(([0], starts)))  # searchsorted: already sorted
    starts = starts[starts < n]
    finite = np.isfinite(values)
    all_finite = bool(finite.all())
    vmin = values if all_finite else np.where(finite, values, np.inf)
    vmax = values if all_finite else np.where(finite, values, -np.inf)
    keep = [np.array([n - 1], dtype=np.int64)]
    if not all_finite:
        keep.append(np.flatnonzero(~finite))
    if n >= 32 * starts.shape[0]:
        keep.append(_extremes_per_segment_loop(vmin, vmax, starts.tolist(), n))
    else:
        keep.append(_extremes_per_segment_vectorised(vmin, vmax, finite, starts, n))
    return _sorted_unique(np.concatenate(keep))


def _sorted_unique(a: npt.NDArray[np.int64]) -> Int64s:
    """np.unique for int indices: a sort and one comparison (np.unique hashes first, 20x
    slower on a few thousand indices)."""
    s = np.sort(a.astype(np.int64))
    if s.shape[0] < 2:
        return s
    keep = np.empty(s.shape[0], dtype=bool)
    keep[0] = True
    np.not_equal(s[1:], s[:-1], out=keep[1:])
    return s[keep]


def _extremes_per_segment_loop(vmin: Float64s, vmax: Float64s, starts: list[int], n: int) -> Int64s:
    """First argmin and argmax of each segment; a numpy call per segment beats whole-array
    passes when segments are long (1,000,000 points into 1,000 buckets: 4x faster). A pick
    that lands on a non-finite value (a bucket with no finite value) is kept anyway."""
    ends = [*starts[1:], n]
    mins = [vmin[a:b] for a, b in zip(starts, ends, strict=True)]
    # all values finite (the common case): vmin is vmax, so one slice serves both
    maxs = mins if vmax is vmin else [vmax[a:b] for a, b in zip(starts, ends, strict=True)]
    first = np.array(starts, dtype=np.int64)
    out = np.empty(2 * len(starts), dtype=np.int64)
    out[0::2] = first + np.array([seg.argmin() for seg in mins], dtype=np.int64)
    out[1::2] = first + np.array([seg.argmax() for seg in maxs], dtype=np.int64)
    return out


def _extremes_per_segment_vectorised(
    vmin: Float64s, vmax: Float64s, finite: npt.NDArray[np.bool_], starts: Int64s, n: int
) -> Int64s:
    """The same as the loop in whole-array passes, for many short segments."""
    counts = np.diff(np.append(starts, n))
    pos = np.arange(n, dtype=np.int64)
    keep = []
    for v, reduce in ((vmin, np.minimum), (vmax, np.maximum)):
        best = reduce.reduceat(v, starts)
        hit = (v == np.repeat(best, counts)) & finite
        first = np.minimum.reduceat(np.where(hit, pos, n), starts)
        keep.append(first[first < n])
    return np.concatenate(keep).astype(np.int64)


def bucket_edges(lo: float, hi: float, nb: int) -> Float64s:
    """The nb - 1 inner edges of nb equal buckets over [lo, hi]: bucket i holds the points
    with edges[i-1] <= x < edges[i] (the last bucket also holds hi)."""
    return lo + (hi - lo) * (np.arange(1, nb, dtype=np.float64) / nb)


def _buckets_unsorted(x: Float64s, values: Float64s, nb: int) -> Int64s:
    n = x.shape[0]
    b = np.searchsorted(bucket_edges(float(x.min()), float(x.max()), nb), x, side="right")
    finite = np.isfinite(values)
    fin_idx = np.flatnonzero(finite)
    keep: list[Int64s] = [np.flatnonzero(~finite), np.array([n - 1], dtype=np.int64)]
    if fin_idx.shape[0]:
        fb = b[fin_idx]
        fv = values[fin_idx]
        # lexsort: by bucket, then value, then position -> first row per bucket is the min
        order = np.lexsort((fin_idx, fv, fb))
        sb = fb[order]
        firsts = np.concatenate(([True], sb[1:] != sb[:-1]))
        keep.append(fin_idx[order[firsts]])
        order = np.lexsort((fin_idx, -fv, fb))
        sb = fb[order]
        firsts = np.concatenate(([True], sb[1:] != sb[:-1]))
        keep.append(fin_idx[order[firsts]])
    return _sorted_unique(np.concatenate(keep))
