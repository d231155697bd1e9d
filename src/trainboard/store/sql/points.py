"""`Points`: a run's metric points in SQL, the transactions of write_points, read_series and
metric_keys around append.py (the write plan, the chunk reads) and codec/downsample.py.

Why its own object over a `Database`: this is the ingest and chart path that the benchmarks
time; what one write or read transaction does for points changes with the chunk format and
the downsampling, not with the runs table or how a transaction is retried.
"""

from __future__ import annotations

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from trainboard import limits
from trainboard.errors import RunNotFoundError
from trainboard.store.codec import downsample
from trainboard.store.prepared import Float64s, Int64s, Prepared
from trainboard.store.queries import SeriesQuery
from trainboard.store.records import PointBatch, Series
from trainboard.store.sql import append, tiers
from trainboard.store.sql.db import Database
from trainboard.store.sql.runs import require_run
from trainboard.store.sql.schema import summaries


class Points:
    """Metric points over a Database: append batches, read a series, list a run's keys."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def write(self, run_id: str, batches: dict[str, PointBatch]) -> None:
        limits.check_text("write_points: run id", run_id)
        prepared = {key: Prepared(key, b) for key, b in batches.items()}
        prepared = {k: p for k, p in prepared.items() if p.steps.shape[0]}
        if not prepared:
            self.db.read(lambda conn: require_run(conn, run_id))
            return
        top = max(int(p.steps[-1]) for p in prepared.values())

        def tx(conn: Connection) -> None:
            if conn.execute(append.BUMP_LAST_STEP, {"b_id": run_id, "top": top}).rowcount == 0:
                raise RunNotFoundError(run_id)
            params = {"b_run": run_id, "b_keys": list(prepared)}
            old = {r.key: r for r in conn.execute(append.SUMMARIES_OF_KEYS, params)}
            plan = append.WritePlan()
            for key, p in prepared.items():
                append.plan_append(
                    conn, plan, run_id, key, p, old.get(key), self.db.dialect.blob_cursor_args
                )
            plan.flush(conn)

        self.db.write(tx)

    def read_series(self, run_id: str, key: str, q: SeriesQuery) -> Series:
        """`q` is checked by SeriesQuery itself before this runs."""
        limits.check_text("read_series: run id", run_id)
        limits.check_text("read_series: key", key)

        cursor_args = self.db.dialect.blob_cursor_args

        def tx(
            conn: Connection,
        ) -> tuple[int, tuple[Int64s, Int64s, Float64s], bool]:
            total = conn.execute(
                sa.select(summaries.c.count).where(
                    summaries.c.run_id == run_id, summaries.c.key == key
                )
            ).scalar_one_or_none()
            if total is None:
                require_run(conn, run_id)
                total = 0
            cuts = append.cutoffs_in(conn, run_id) if total else []
            if q.superseded and not cuts:
                none = np.empty(0, dtype=np.int64)
                return int(total), (none, none, np.empty(0, dtype=np.float64)), False
            if not cuts and q.max_points is not None and total >= tiers.MIN_POINTS:
                args = (q.max_points, q.x, q.since, q.start, q.end, cursor_args)
                got = tiers.read_downsampled(conn, run_id, key, *args)
                if got is not None:  # from chunk rows: a long series never decoded whole
                    return int(total), got, True
            cols = append.load(
                conn, run_id, key, q.since, q.start, q.end, cursor_args, cuts, q.superseded
            )
            return int(total), cols, False

        total, (steps, times_us, values), downsampled = self.db.read(tx)
        if downsampled:
            return Series(key, steps, times_us / 1e6, values, total=total, downsampled=True)
        if q.max_points is not None and steps.shape[0] > q.max_points:
            xs = steps if q.x == "step" else times_us
            idx = downsample.bucket_indices(xs, values, q.max_points)
            steps, times_us, values = steps[idx], times_us[idx], values[idx]
            downsampled = True
        times = times_us / 1e6
        return Series(key, steps, times, values, total=total, downsampled=downsampled)

    def keys(self, run_id: str) -> list[str]:
        limits.check_text("metric_keys: run id", run_id)

        def tx(conn: Connection) -> list[str]:
            q = sa.select(summaries.c.key).where(summaries.c.run_id == run_id)
            keys = list(conn.execute(q.order_by(summaries.c.key)).scalars())
            if not keys:
                require_run(conn, run_id)
            return keys

        return self.db.read(tx)
