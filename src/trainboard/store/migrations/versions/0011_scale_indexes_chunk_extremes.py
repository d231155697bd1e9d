"""A store of 100,000 runs and 1,000,000,000 points: chunk extremes with their place, and the
indexes the Runs page, ranking and the live poller need (#24).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07

- chunks.min_step/min_time/max_step/max_time: where the chunk's minimum and maximum finite
  value are, and chunks.plain (every value finite, steps strictly increasing), so that a
  downsampled read of a long series takes its buckets' extremes from chunk rows instead of
  decoding every point (store/tiers.py). Existing chunks are filled in here, chunk by chunk
  (decoding is about 100 M points a second: well under a minute per 10 M points). An index
  holds every column but the blob, so those rows are read without the blobs (SQLite stores a
  column added later after the blob's overflow pages).
- runs (model, created_at, id): the list grouped by model, and a model's runs newest first.
- runs (status) where status = 'running': the live poller's running runs without a scan.
- runs (created_at, id) where goals != '{}': the few runs with define_metric() choices.
- summaries (key, min, run_id), (key, max, run_id), (key, last, run_id): a group's extremes
  of a key, and the table sorted by a metric, walk an index, not every run's summaries.
- PostgreSQL, where the pg_trgm extension can be created: a trigram index on lower(name), so
  a name search is not a scan of every run.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import sqlalchemy as sa
from alembic import op

from trainboard.store.codec import chunks as codec

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | None = None
depends_on: str | None = None

EXTREMES_INDEX = (
    "run_id", "key", "seq", "n", "step_min", "step_max", "time_min", "time_max", "value_min",
    "value_max", "min_step", "min_time", "max_step", "max_time", "plain",
)  # fmt: skip

BATCH = 500  # chunk rows read and written at a time (~4 M points)


def _stats(blob: bytes) -> dict[str, Any]:
    """A frozen copy of (what was) tiers.chunk_stats, now append.chunk_stats, on a decoded chunk."""
    s, t, v = codec.decode_us(blob)
    finite = np.isfinite(v)
    plain = bool(finite.all()) and bool(np.all(s[1:] > s[:-1]))
    if not bool(finite.any()):
        return {"b_min_step": None, "b_min_time": None, "b_max_step": None, "b_max_time": None,
                "b_plain": plain}  # fmt: skip
    lo = int(np.argmin(np.where(finite, v, np.inf)))
    hi = int(np.argmax(np.where(finite, v, -np.inf)))
    return {
        "b_min_step": int(s[lo]),
        "b_min_time": int(t[lo]) / 1e6,
        "b_max_step": int(s[hi]),
        "b_max_time": int(t[hi]) / 1e6,
        "b_plain": plain,
    }


def _fill_chunks() -> None:
    conn = op.get_bind()
    chunks = sa.table(
        "chunks",
        sa.column("run_id"),
        sa.column("key"),
        sa.column("seq"),
        sa.column("data", sa.LargeBinary),
        sa.column("min_step"),
        sa.column("min_time"),
        sa.column("max_step"),
        sa.column("max_time"),
        sa.column("plain"),
    )
    update = (
        sa.update(chunks)
        .where(
            chunks.c.run_id == sa.bindparam("b_run"),
            chunks.c.key == sa.bindparam("b_key"),
            chunks.c.seq == sa.bindparam("b_seq"),
        )
        .values(
            min_step=sa.bindparam("b_min_step"),
            min_time=sa.bindparam("b_min_time"),
            max_step=sa.bindparam("b_max_step"),
            max_time=sa.bindparam("b_max_time"),
            plain=sa.bindparam("b_plain"),
        )
    )
    cols = (chunks.c.run_id, chunks.c.key, chunks.c.seq, chunks.c.data)
    order = (chunks.c.run_id, chunks.c.key, chunks.c.seq)
    after: tuple[Any, ...] | None = None
    while True:  # keyset pages over the primary key: memory stays at one batch
        q = sa.select(*cols).order_by(*order).limit(BATCH)
        if after is not None:
            q = q.where(sa.tuple_(*order) > sa.tuple_(*(sa.literal(v) for v in after)))
        found = conn.execute(q).all()
        if not found:
            return
        conn.execute(
            update,
            [{"b_run": r[0], "b_key": r[1], "b_seq": r[2], **_stats(bytes(r[3]))} for r in found],
        )
        after = tuple(found[-1][:3])


def upgrade() -> None:
    with op.batch_alter_table("chunks") as batch:
        batch.add_column(sa.Column("min_step", sa.BigInteger()))
        batch.add_column(sa.Column("min_time", sa.Float(53)))
        batch.add_column(sa.Column("max_step", sa.BigInteger()))
        batch.add_column(sa.Column("max_time", sa.Float(53)))
        batch.add_column(sa.Column("plain", sa.Boolean()))
    _fill_chunks()
    op.create_index("ix_chunks_extremes", "chunks", list(EXTREMES_INDEX))
    op.create_index("ix_runs_model_created", "runs", ["model", "created_at", "id"])
    op.create_index(
        "ix_runs_running",
        "runs",
        ["status"],
        sqlite_where=sa.text("status = 'running'"),
        postgresql_where=sa.text("status = 'running'"),
    )
    op.create_index(
        "ix_runs_with_goals",
        "runs",
        ["created_at", "id"],
        sqlite_where=sa.text("goals != '{}'"),
        postgresql_where=sa.text("goals != '{}'"),
    )
    for col in ("min", "max", "last"):
        op.create_index(f"ix_summaries_key_{col}", "summaries", ["key", col, "run_id"])
    if op.get_bind().dialect.name == "postgresql":
        _trigram_index()
    op.execute("ANALYZE")  # the planners' statistics, so that they pick these indexes


def _trigram_index() -> None:
    """pg_trgm where this role may create it (a managed server may refuse: search then scans)."""
    conn = op.get_bind()
    try:
        with conn.begin_nested():
            conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    except sa.exc.DBAPIError:
        return
    conn.execute(
        sa.text("CREATE INDEX ix_runs_name_trgm ON runs USING gin (lower(name) gin_trgm_ops)")
    )


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_runs_name_trgm")
    for col in ("min", "max", "last"):
        op.drop_index(f"ix_summaries_key_{col}", table_name="summaries")
    for name in ("ix_runs_with_goals", "ix_runs_running"):
        op.drop_index(name, table_name="runs")
    op.drop_index("ix_runs_model_created", table_name="runs")
    op.drop_index("ix_chunks_extremes", table_name="chunks")
    with op.batch_alter_table("chunks") as batch:
        for col in ("plain", "max_time", "max_step", "min_time", "min_step"):
            batch.drop_column(col)
