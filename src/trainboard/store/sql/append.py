"""The write plan: how write_points appends points to chunks and keeps summaries, and how a
key's points are read back from its chunks.

Why a module of its own: this is the store's hot path (a million points a second into
SQLite). Statements are built once at import; one write_points becomes a few executemany
calls (chunk updates, deletes, inserts, then summary inserts and updates), whatever the
number of keys.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from trainboard.store.attempts import NAMESPACE as ATTEMPTS
from trainboard.store.attempts import Cutoff, cutoffs_of, superseded_mask
from trainboard.store.codec import chunks as codec
from trainboard.store.codec import downsample
from trainboard.store.prepared import Float64s, Int64s, Prepared
from trainboard.store.sql import rows
from trainboard.store.sql.schema import chunks as chunks_t
from trainboard.store.sql.schema import run_values, runs, summaries

CHUNK_POINTS = 8192
"""Points per chunk: big enough that zstd sees long runs, small enough that rewriting the tail
chunk on a small append stays cheap (~0.1 ms)."""


STAGE_POINTS = 512
"""Small appends rewrite a staging tail of fewer points than this, not a whole chunk."""


def finite_minmax(v: Float64s) -> tuple[int, int] | None:
    """Indices of the first minimum and first maximum finite value, or None if none is finite."""
    finite = np.isfinite(v)
    if not bool(finite.any()):
        return None
    return int(np.argmin(np.where(finite, v, np.inf))), int(np.argmax(np.where(finite, v, -np.inf)))


def summary_of(steps: Int64s, times_us: Int64s, values: Float64s) -> dict[str, Any]:
    """Summary columns of a whole series in step order (one point per step)."""
    mm = finite_minmax(values)
    return {
        "count": int(steps.shape[0]),
        "last": rows.nan_to_null(float(values[-1])),
        "last_step": int(steps[-1]),
        "min": None if mm is None else float(values[mm[0]]),
        "min_step": None if mm is None else int(steps[mm[0]]),
        "max": None if mm is None else float(values[mm[1]]),
        "max_step": None if mm is None else int(steps[mm[1]]),
        "first_time": int(times_us.min()) / 1e6,
        "last_time": int(times_us.max()) / 1e6,
    }


def merge_summary(old: Row[Any], new: dict[str, Any]) -> dict[str, Any]:
    """Summary after appending points whose steps all follow the stored ones (ties keep the
    earlier step as the best step)."""
    o = old._mapping
    out = dict(new)
    out["count"] = int(o["count"]) + int(new["count"])
    if o["min"] is not None and (new["min"] is None or not new["min"] < o["min"]):
        out["min"], out["min_step"] = o["min"], o["min_step"]
    if o["max"] is not None and (new["max"] is None or not new["max"] > o["max"]):
        out["max"], out["max_step"] = o["max"], o["max_step"]
    out["first_time"] = min(float(o["first_time"]), new["first_time"])
    out["last_time"] = max(float(o["last_time"]), new["last_time"])
    return out


def chunk_stats(s: Int64s, t: Int64s, v: Float64s) -> dict[str, Any]:
    """The columns of one chunk row but its blob (and run, key, seq): its ranges, its finite
    extremes and where they are (step and wall time, which tiers.py reads instead of
    decoding), and whether it is "plain" (every value finite, steps strictly increasing).
    Each numpy pass is made once: for the small chunks of many short runs, per-call overhead
    is most of the cost."""
    n = int(s.shape[0])
    increasing = n < 2 or bool((s[1:] > s[:-1]).all())
    finite = np.isfinite(v)
    all_finite = bool(finite.all())
    if all_finite:
        mm: tuple[int, int] | None = (int(v.argmin()), int(v.argmax()))
    else:
        mm = finite_minmax(v)
    row: dict[str, Any] = {
        "n": n,
        "step_min": int(s[0]) if increasing else int(s.min()),
        "step_max": int(s[-1]) if increasing else int(s.max()),
        "time_min": int(t.min()) / 1e6,
        "time_max": int(t.max()) / 1e6,
        "plain": all_finite and increasing,
    }
    if mm is None:
        row.update(value_min=None, value_max=None, min_step=None, min_time=None,
                   max_step=None, max_time=None)  # fmt: skip
    else:
        lo, hi = mm
        row.update(
            value_min=float(v[lo]),
            value_max=float(v[hi]),
            min_step=int(s[lo]),
            min_time=int(t[lo]) / 1e6,
            max_step=int(s[hi]),
            max_time=int(t[hi]) / 1e6,
        )
    return row


def chunk_row(s: Int64s, t: Int64s, v: Float64s) -> dict[str, Any]:
    """The columns of one chunk row (all but its run, key and seq)."""
    row = chunk_stats(s, t, v)
    row["data"] = codec.encode(s, t, v)
    return row


def summary_of_chunk(row: dict[str, Any], s: Int64s, v: Float64s) -> dict[str, Any]:
    """summary_of a series that is exactly one chunk row (steps in order, one per step),
    read off the row instead of another pass over the points."""
    return {
        "count": row["n"],
        "last": rows.nan_to_null(float(v[-1])),
        "last_step": int(s[-1]),
        "min": row["value_min"],
        "min_step": row["min_step"],
        "max": row["value_max"],
        "max_step": row["max_step"],
        "first_time": row["time_min"],
        "last_time": row["time_max"],
    }


class WritePlan:
    """Rows one write_points sends in a few executemany calls (fast for many small keys)."""

    def __init__(self) -> None:
        self.chunk_updates: list[dict[str, Any]] = []
        self.chunk_deletes: list[dict[str, Any]] = []
        self.chunk_inserts: list[dict[str, Any]] = []
        self.summary_inserts: list[dict[str, Any]] = []
        self.summary_updates: list[dict[str, Any]] = []

    def flush_chunks(self, conn: Connection) -> None:
        for stmt, batch in (
            (UPDATE_CHUNK, self.chunk_updates),
            (DELETE_CHUNK, self.chunk_deletes),
            (INSERT_CHUNK, self.chunk_inserts),
        ):
            if batch:
                conn.execute(stmt, batch)
                batch.clear()

    def flush(self, conn: Connection) -> None:
        self.flush_chunks(conn)
        for stmt, batch in (
            (INSERT_SUMMARY, self.summary_inserts),
            (UPDATE_SUMMARY, self.summary_updates),
        ):
            if batch:
                conn.execute(stmt, batch)


# Statements built once: building SQLAlchemy expressions per call cost more than running them.
BUMP_LAST_STEP = (
    sa.update(runs)
    .where(runs.c.id == sa.bindparam("b_id"))
    .values(
        last_step=sa.case(
            (runs.c.last_step.is_(None), sa.bindparam("top")),
            (runs.c.last_step < sa.bindparam("top"), sa.bindparam("top")),
            else_=runs.c.last_step,
        )
    )
)


SUMMARIES_OF_KEYS = sa.select(summaries).where(
    summaries.c.run_id == sa.bindparam("b_run"),
    summaries.c.key.in_(sa.bindparam("b_keys", expanding=True)),
)


TAIL_BLOB = sa.select(chunks_t.c.data).where(
    chunks_t.c.run_id == sa.bindparam("b_run"),
    chunks_t.c.key == sa.bindparam("b_key"),
    chunks_t.c.seq == sa.bindparam("b_seq"),
)


UPDATE_CHUNK = sa.update(chunks_t).where(
    chunks_t.c.run_id == sa.bindparam("b_run"),
    chunks_t.c.key == sa.bindparam("b_key"),
    chunks_t.c.seq == sa.bindparam("b_seq"),
)


UPDATE_SUMMARY = sa.update(summaries).where(
    summaries.c.run_id == sa.bindparam("b_run"), summaries.c.key == sa.bindparam("b_key")
)


CHUNK_N = sa.select(chunks_t.c.n).where(
    chunks_t.c.run_id == sa.bindparam("b_run"),
    chunks_t.c.key == sa.bindparam("b_key"),
    chunks_t.c.seq == sa.bindparam("b_seq"),
)


DELETE_CHUNK = sa.delete(chunks_t).where(
    chunks_t.c.run_id == sa.bindparam("b_run"),
    chunks_t.c.key == sa.bindparam("b_key"),
    chunks_t.c.seq == sa.bindparam("b_seq"),
)


INSERT_CHUNK = sa.insert(chunks_t)


INSERT_SUMMARY = sa.insert(summaries)


def plan_append(
    conn: Connection,
    plan: WritePlan,
    run_id: str,
    key: str,
    p: Prepared,
    old: Row[Any] | None,
    cursor_args: dict[str, Any],
) -> None:
    """Add to `plan` the chunk and summary rows that append p's points to the key.

    Chunks from `start` to the tail are decoded, joined with the new points and cut again
    into CHUNK_POINTS pieces. Where that starts is what keeps small appends cheap: a
    small write (the SDK's flush of a few points) rewrites only a small staging tail
    (< STAGE_POINTS points); once the tail has grown past that, it is folded into the
    chunk before it, so a big chunk is rewritten once per STAGE_POINTS points, not on
    every flush.
    """
    if old is None:
        plan_new(plan, run_id, key, p)
        return
    if int(p.steps[0]) <= int(old.last_step):
        plan_relog(conn, plan, run_id, key, p, old, cursor_args)
        return
    m = int(p.steps.shape[0])
    tail_seq, tail_n = int(old.tail_seq), int(old.tail_n)
    start = tail_seq + 1  # first seq to (re)write
    if tail_n < CHUNK_POINTS and (m >= STAGE_POINTS or tail_n < STAGE_POINTS):
        start = tail_seq
    elif tail_n < CHUNK_POINTS and tail_seq > 0:
        prev_n = conn.execute(CHUNK_N, at(run_id, key, tail_seq - 1)).scalar_one()
        if int(prev_n) < CHUNK_POINTS:
            start = tail_seq - 1
    parts = []  # the stored points the rewrite starts with, then the new ones
    for seq in range(start, tail_seq + 1):
        blob = conn.execute(TAIL_BLOB, at(run_id, key, seq)).scalar_one()
        parts.append(codec.decode_us(blob))
    parts.append((p.steps, p.times_us, p.values))
    steps, times_us, values = (np.concatenate([part[i] for part in parts]) for i in range(3))
    old_tail = int(old.tail_seq)
    seq = start
    row: dict[str, Any] = {}
    for i in range(0, steps.shape[0], CHUNK_POINTS):
        cut = slice(i, i + CHUNK_POINTS)
        row = chunk_row(steps[cut], times_us[cut], values[cut])
        if seq <= old_tail:
            plan.chunk_updates.append({**at(run_id, key, seq), **row})
        else:
            plan.chunk_inserts.append({"run_id": run_id, "key": key, "seq": seq, **row})
        seq += 1
    plan.chunk_deletes.extend(at(run_id, key, q) for q in range(seq, old_tail + 1))
    tail = {"tail_seq": seq - 1, "tail_n": steps.shape[0] - (seq - 1 - start) * CHUNK_POINTS}
    summ = merge_summary(old, summary_of(p.steps, p.times_us, p.values))
    summ["packed"] = rows.packed(summ)
    plan.summary_updates.append({"b_run": run_id, "b_key": key, **summ, **tail})


def plan_new(plan: WritePlan, run_id: str, key: str, p: Prepared) -> None:
    """Add to `plan` the chunk and summary rows of a key the run does not have yet. It reads
    nothing from the store, so an import (imports.py) builds these rows before its
    transaction begins, and several importing processes encode while one writes."""
    steps, times_us, values = p.steps, p.times_us, p.values
    n = int(steps.shape[0])
    row: dict[str, Any] = {}
    seq = 0
    for i in range(0, n, CHUNK_POINTS):
        cut = slice(i, i + CHUNK_POINTS)
        row = chunk_row(steps[cut], times_us[cut], values[cut])
        plan.chunk_inserts.append({"run_id": run_id, "key": key, "seq": seq, **row})
        seq += 1
    if seq == 1:  # in one chunk: its summary is the chunk's
        summ = summary_of_chunk(row, steps, values)
    else:
        summ = summary_of(steps, times_us, values)
    summ["packed"] = rows.packed(summ)
    tail = {"tail_seq": seq - 1, "tail_n": n - (seq - 1) * CHUNK_POINTS}
    plan.summary_inserts.append({"run_id": run_id, "key": key, **summ, **tail})


CHUNK_META = sa.select(
    chunks_t.c.seq,
    chunks_t.c.n,
    chunks_t.c.step_min,
    chunks_t.c.step_max,
    chunks_t.c.time_min,
    chunks_t.c.time_max,
    chunks_t.c.value_min,
    chunks_t.c.min_step,
    chunks_t.c.value_max,
    chunks_t.c.max_step,
).where(chunks_t.c.run_id == sa.bindparam("b_run"), chunks_t.c.key == sa.bindparam("b_key"))


def plan_relog(
    conn: Connection,
    plan: WritePlan,
    run_id: str,
    key: str,
    p: Prepared,
    old: Row[Any],
    cursor_args: dict[str, Any],
) -> None:
    """Add to `plan` the rows that write p's points over steps the key already has (a resumed
    run logging again from its checkpoint), touching only the chunks they overlap.

    A key's chunks are kept in step order and disjoint (each chunk's steps all below the next
    one's), so the stored points of p's step range lie in the chunks whose range overlaps it
    (or, for steps in a gap, the chunk before the gap). Those chunks alone are decoded, merged
    with p (p's points win) and cut again in place; the summary is that merge together with
    the untouched chunks' own rows (their extremes with their steps, their time ranges), so
    nothing else is read. A key whose chunks overlap (written before this rule, when re-logged
    points were appended as chunks of their own) is rewritten whole once, which restores the
    order, and is cheap from then on.
    """
    meta = conn.execute(CHUNK_META.order_by(chunks_t.c.seq), {"b_run": run_id, "b_key": key}).all()
    seqs = [int(r.seq) for r in meta]
    tail_seq = int(old.tail_seq)
    ordered = seqs == list(range(len(meta))) and seqs[-1:] == [tail_seq]
    ordered = ordered and all(
        int(meta[i + 1].step_min) > int(meta[i].step_max) for i in range(len(meta) - 1)
    )
    ordered = ordered and all(r.value_min is None or r.min_step is not None for r in meta)
    lo, hi = int(p.steps[0]), int(p.steps[-1])
    if not ordered:
        a, b = 0, tail_seq
    else:
        hit = [q for q, r in enumerate(meta) if int(r.step_max) >= lo and int(r.step_min) <= hi]
        if hit:
            a, b = hit[0], hit[-1]
        else:  # in a gap between chunks, or before the first: the chunk before (or the first)
            before = [q for q, r in enumerate(meta) if int(r.step_max) < lo]
            a = b = before[-1] if before else 0
    found = rows.fetch_all(
        conn,
        sa.select(chunks_t.c.data)
        .where(chunks_t.c.run_id == run_id, chunks_t.c.key == key)
        .where(chunks_t.c.seq >= a, chunks_t.c.seq <= b)
        .order_by(chunks_t.c.seq),
        **cursor_args,
    )
    parts = [codec.decode_us(blob) for (blob,) in found]
    parts.append((p.steps, p.times_us, p.values))  # last: later writes win
    steps, times_us, values = (np.concatenate([part[i] for part in parts]) for i in range(3))
    resumes = cutoffs_in(conn, run_id)
    if resumes:  # superseded points are kept beside the ones that replace them
        steps, times_us, values = _merge_keeping_superseded(steps, times_us, values, resumes)
    else:
        order = downsample.step_order(steps)
        if order is not None:
            steps, times_us, values = steps[order], times_us[order], values[order]
    n = int(steps.shape[0])
    if b == tail_seq:  # the tail is among them: cut in full chunks, as an append does
        cuts = list(range(0, n, CHUNK_POINTS))
    else:  # in the middle: as many chunks as before (a gap's new steps make one a bit longer)
        pieces = b - a + 1
        cuts = [i * n // pieces for i in range(pieces)]
    ends = [*cuts[1:], n]
    for q, (i, j) in enumerate(zip(cuts, ends, strict=True)):
        row = chunk_row(steps[i:j], times_us[i:j], values[i:j])
        seq = a + q
        if seq <= tail_seq:
            plan.chunk_updates.append({**at(run_id, key, seq), **row})
        else:
            plan.chunk_inserts.append({"run_id": run_id, "key": key, "seq": seq, **row})
    last_seq = a + len(cuts) - 1
    if b == tail_seq:
        plan.chunk_deletes.extend(at(run_id, key, q) for q in range(last_seq + 1, tail_seq + 1))
        tail = {"tail_seq": last_seq, "tail_n": n - cuts[-1]}
    else:
        tail = {"tail_seq": tail_seq, "tail_n": int(old.tail_n)}
    # the summary: the merged points, and the untouched chunks' rows
    rest = [r for q, r in enumerate(meta) if q < a or q > b]
    count = n + sum(int(r.n) for r in rest)
    mm = finite_minmax(values)
    lows = [(float(values[mm[0]]), int(steps[mm[0]]))] if mm else []
    highs = [(float(values[mm[1]]), int(steps[mm[1]]))] if mm else []
    lows += [(float(r.value_min), int(r.min_step)) for r in rest if r.value_min is not None]
    highs += [(float(r.value_max), int(r.max_step)) for r in rest if r.value_max is not None]
    low = min(lows, default=None)  # ties: the earlier step
    high = min(((-v, st) for v, st in highs), default=None)
    after = [r for r in rest if int(r.step_max) > int(steps[-1])]
    summ: dict[str, Any] = {
        "count": count,
        "last": old.last if after else rows.nan_to_null(float(values[-1])),
        "last_step": int(old.last_step) if after else int(steps[-1]),
        "min": None if low is None else low[0],
        "min_step": None if low is None else low[1],
        "max": None if high is None else -high[0],
        "max_step": None if high is None else high[1],
        "first_time": min([int(times_us.min()) / 1e6, *(float(r.time_min) for r in rest)]),
        "last_time": max([int(times_us.max()) / 1e6, *(float(r.time_max) for r in rest)]),
    }
    if resumes:  # the summary of the kept timeline: superseded points left out
        plan.flush_chunks(conn)
        summ = summary_of(*load(conn, run_id, key, None, cursor_args=cursor_args, cutoffs=resumes))
    summ["packed"] = rows.packed(summ)
    plan.summary_updates.append({"b_run": run_id, "b_key": key, **summ, **tail})


def _merge_keeping_superseded(
    steps: Int64s, times_us: Int64s, values: Float64s, resumes: list[Cutoff]
) -> tuple[Int64s, Int64s, Float64s]:
    """A relog's merge in a run resumed from a checkpoint step: one point per step among the
    kept ones (later writes win), and every superseded point kept too (store/attempts.py:
    never deleted), all in step order (a step may then hold a superseded and a kept point)."""
    sup = superseded_mask(steps, times_us, resumes)
    ks, kt, kv = steps[~sup], times_us[~sup], values[~sup]
    order = downsample.step_order(ks)
    if order is not None:
        ks, kt, kv = ks[order], kt[order], kv[order]
    s = np.concatenate([steps[sup], ks])
    t = np.concatenate([times_us[sup], kt])
    v = np.concatenate([values[sup], kv])
    by_step = np.argsort(s, kind="stable")
    return s[by_step], t[by_step], v[by_step]


def cutoffs_in(conn: Connection, run_id: str) -> list[Cutoff]:
    """The run's resumes from a checkpoint step, from its "attempts" values (one index
    seek; an empty list for a run never resumed so)."""
    q = sa.select(run_values.c.key, run_values.c.value).where(
        run_values.c.run_id == run_id, run_values.c.namespace == ATTEMPTS
    )
    return cutoffs_of({k: orjson.loads(v) for k, v in conn.execute(q)})


def at(run_id: str, key: str, seq: int) -> dict[str, Any]:
    return {"b_run": run_id, "b_key": key, "b_seq": seq}


def load(
    conn: Connection,
    run_id: str,
    key: str,
    since: int | None,
    start: int | None = None,
    end: int | None = None,
    cursor_args: dict[str, Any] | None = None,
    cutoffs: list[Cutoff] | None = None,
    superseded: bool = False,
) -> tuple[Int64s, Int64s, Float64s]:
    """A key's points in step order, one per step (later writes win), optionally > since
    and within [start, end]. Only chunks whose step range overlaps are read: every write
    of a step in range lies in such a chunk, so "later writes win" still holds. `cutoffs`
    (the run's resumes from a checkpoint step) leave out the superseded points, or with
    `superseded` keep only them (store/attempts.py)."""
    q = sa.select(chunks_t.c.n, chunks_t.c.data).where(
        chunks_t.c.run_id == run_id, chunks_t.c.key == key
    )
    if since is not None:
        q = q.where(chunks_t.c.step_max > since)
    if start is not None:
        q = q.where(chunks_t.c.step_max >= start)
    if end is not None:
        q = q.where(chunks_t.c.step_min <= end)
    found = rows.fetch_all(conn, q.order_by(chunks_t.c.seq), **(cursor_args or {}))
    total = sum(int(r[0]) for r in found)
    steps = np.empty(total, dtype=np.int64)
    times_us = np.empty(total, dtype=np.int64)
    values = np.empty(total, dtype=np.float64)
    at = 0
    for n, blob in found:
        to = at + int(n)
        codec.decode_into(blob, steps[at:to], times_us[at:to], values[at:to])
        at = to
    if cutoffs:
        keep = superseded_mask(steps, times_us, cutoffs)
        if not superseded:
            keep = ~keep
        steps, times_us, values = steps[keep], times_us[keep], values[keep]
    elif superseded:
        steps, times_us, values = steps[:0], times_us[:0], values[:0]
    order = downsample.step_order(steps)
    if order is not None:
        steps, times_us, values = steps[order], times_us[order], values[order]
    if since is not None and steps.shape[0] and int(steps[0]) <= since:
        cut = int(np.searchsorted(steps, since, side="right"))
        steps, times_us, values = steps[cut:], times_us[cut:], values[cut:]
    if (start is not None or end is not None) and steps.shape[0]:
        lo = 0 if start is None else int(np.searchsorted(steps, start, side="left"))
        hi = steps.shape[0] if end is None else int(np.searchsorted(steps, end, side="right"))
        steps, times_us, values = steps[lo:hi], times_us[lo:hi], values[lo:hi]
    return steps, times_us, values
