"""Downsampled reads of long series from the chunks' own extremes, without decoding them.

Why: a chart of a 100 M-point series asks for 2,000 points. Decoding every chunk to find each
bucket's minimum and maximum costs about 44 bytes a point at peak (4.4 GB for 100 M points)
and seconds of CPU. Every chunk row already keeps its minimum and maximum finite value; since
revision 0011 it also keeps where they are (step and wall time) and whether the chunk is
"plain" (every value finite, steps strictly increasing). When a range spans at least as many
chunks as the chart has buckets, a bucket is the chunks whose first x falls in it, and its
minimum and maximum are read off those rows. Only the chunks that must be looked inside are
decoded: the last one (its exact last point), those the range cuts, and those that are not
plain (their NaNs and infinities are kept as their own points, as everywhere).

The difference from decoding everything: a chunk (8,192 points) is put whole into the bucket
its first point falls in, so a point within one chunk of a bucket edge may be counted in the
bucket before. Spikes still survive; the last point is still exact.

A series whose chunks overlap in x (re-logged steps written before re-logs were merged into
the chunks they overlap, append.plan_relog; or wall times that go back) is read the plain
way, by decoding it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from trainboard.store.codec import chunks as codec
from trainboard.store.codec import downsample
from trainboard.store.sql import rows
from trainboard.store.sql.schema import chunks as chunks_t

MIN_POINTS = 1_000_000
"""Below this many points in range a series is decoded whole (at most ~10 ms)."""

Columns = tuple[downsample.Int64s, downsample.Int64s, downsample.Float64s]

META_COLS = (
    chunks_t.c.seq,
    chunks_t.c.n,
    chunks_t.c.step_min,
    chunks_t.c.step_max,
    chunks_t.c.time_min,
    chunks_t.c.time_max,
    chunks_t.c.value_min,
    chunks_t.c.value_max,
    chunks_t.c.min_step,
    chunks_t.c.min_time,
    chunks_t.c.max_step,
    chunks_t.c.max_time,
    chunks_t.c.plain,
)


def read_downsampled(
    conn: Connection,
    run_id: str,
    key: str,
    max_points: int,
    x: str,
    since: int | None,
    start: int | None,
    end: int | None,
    cursor_args: dict[str, Any],
) -> Columns | None:
    """At most about `max_points` points of the range from chunk rows (see the module
    docstring), or None when this series must be decoded instead (too few chunks or points,
    chunks that overlap in x, chunks written before 0011 and never filled)."""
    nb = max(1, (max_points - 1) // 2)
    q = sa.select(*META_COLS).where(chunks_t.c.run_id == run_id, chunks_t.c.key == key)
    lo_step = (
        None
        if since is None and start is None
        else max(
            since + 1 if since is not None else -(2**63), start if start is not None else -(2**63)
        )
    )
    if lo_step is not None:
        q = q.where(chunks_t.c.step_max >= lo_step)
    if end is not None:
        q = q.where(chunks_t.c.step_min <= end)
    meta = rows.fetch_all(conn, q.order_by(chunks_t.c.seq))
    if len(meta) < max(nb, 3) or sum(int(m[1]) for m in meta) < MIN_POINTS:
        return None
    m = np.array([[np.nan if v is None else float(v) for v in r] for r in meta], dtype=np.float64)
    if bool(np.isnan(m[:, 12]).any()):
        return None  # chunks written before 0011 and never filled in
    plain = m[:, 12] == 1.0  # a chunk with no finite value is never plain
    steps_lo, steps_hi = m[:, 2], m[:, 3]
    if not bool(np.all(steps_lo[1:] > steps_hi[:-1])):
        return None  # steps overlap across chunks: later writes win, decode
    xs_lo, xs_hi = (m[:, 2], m[:, 3]) if x == "step" else (m[:, 4], m[:, 5])
    if x != "step" and not bool(np.all(xs_lo[1:] >= xs_hi[:-1])):
        return None
    cut_first = lo_step is not None and steps_lo[0] < lo_step
    open_up = ~plain
    open_up[-1] = True  # the exact last point (and the one `end` may cut)
    if cut_first:
        open_up[0] = True
    seqs = [int(s) for s in m[open_up, 0]]
    decoded = _decode(conn, run_id, key, seqs, cursor_args)
    parts_x: list[Any] = []
    parts: list[Columns] = []
    for s, t, v in decoded:
        keep = np.ones(s.shape[0], dtype=bool)
        if lo_step is not None:
            keep &= s >= lo_step
        if end is not None:
            keep &= s <= end
        order = downsample.step_order(s[keep])
        s, t, v = s[keep], t[keep], v[keep]
        if order is not None:
            s, t, v = s[order], t[order], v[order]
        parts.append((s, t, v))
    # the whole chunks' extremes, as candidate points
    whole = ~open_up
    cand_s = np.concatenate([m[whole, 8], m[whole, 10]]).astype(np.int64)
    cand_t = np.round(np.concatenate([m[whole, 9], m[whole, 11]]) * 1e6).astype(np.int64)
    cand_v = np.concatenate([m[whole, 6], m[whole, 7]])
    cand_x = np.concatenate([xs_lo[whole], xs_lo[whole]])
    for s, t, v in parts:
        cand_s = np.concatenate([cand_s, s])
        cand_t = np.concatenate([cand_t, t])
        cand_v = np.concatenate([cand_v, v])
        parts_x.append(s.astype(np.float64) if x == "step" else t / 1e6)
    if not cand_s.shape[0]:
        return None
    cand_x = np.concatenate([cand_x, *parts_x])
    # the edges over the range's x, as downsample.bucket_indices draws them
    x_first = float(cand_x.min())
    x_last = float(cand_x.max())
    edges = downsample.bucket_edges(x_first, x_last, nb)
    bucket = np.searchsorted(edges, cand_x, side="right")
    finite = np.isfinite(cand_v)
    keep_idx = [np.flatnonzero(~finite)]
    fin = np.flatnonzero(finite)
    if fin.shape[0]:
        fb, fv, fs = bucket[fin], cand_v[fin], cand_s[fin]
        for sign in (1.0, -1.0):
            order = np.lexsort((fs, sign * fv, fb))  # by bucket, then value, then step
            sb = fb[order]
            firsts = np.concatenate(([True], sb[1:] != sb[:-1]))
            keep_idx.append(fin[order[firsts]])
    last = int(np.argmax(cand_s))
    keep_idx.append(np.array([last], dtype=np.int64))
    idx = np.concatenate(keep_idx)
    s, t, v = cand_s[idx], cand_t[idx], cand_v[idx]
    order = np.argsort(s, kind="stable")
    s, t, v = s[order], t[order], v[order]
    unique = np.concatenate(([True], s[1:] != s[:-1])) if s.shape[0] else np.ones(0, bool)
    return s[unique], t[unique], v[unique]


def _decode(
    conn: Connection, run_id: str, key: str, seqs: list[int], cursor_args: dict[str, Any]
) -> list[Columns]:
    out: list[Columns] = []
    for i in range(0, len(seqs), 500):
        q = sa.select(chunks_t.c.seq, chunks_t.c.data).where(
            chunks_t.c.run_id == run_id,
            chunks_t.c.key == key,
            chunks_t.c.seq.in_(seqs[i : i + 500]),
        )
        found = dict(rows.fetch_all(conn, q, **cursor_args))
        out += [codec.decode_us(found[s]) for s in seqs[i : i + 500]]
    return out
