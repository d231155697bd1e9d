"""summaries.packed: each summary row repeated as one 72-byte record, filled for old rows.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01

Why a revision of its own: the column was first added by editing 0001 after stores had been
made with it, so a store may reach this revision with or without the column. Without it, the
column is added, every existing row gets its record computed from its summary columns, and
only then is it made NOT NULL.

The record layout is frozen here (not imported from the store code): a later change of the
layout needs a new revision, and this one must keep producing what it produced.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None

PACKED = np.dtype(
    [
        ("count", "<i8"),
        ("last", "<f8"),
        ("last_step", "<i8"),
        ("min", "<f8"),
        ("min_step", "<i8"),
        ("max", "<f8"),
        ("max_step", "<i8"),
        ("first_time", "<f8"),
        ("last_time", "<f8"),
    ]
)


def _nan(x: Any) -> float:
    return math.nan if x is None else float(x)


def packed(row: Any) -> bytes:
    """The record of one summaries row: NULL floats as NaN, missing best steps as last_step."""
    last_step = int(row.last_step)
    rec = np.array(
        [
            (
                int(row.count),
                _nan(row.last),
                last_step,
                _nan(row.min),
                last_step if row.min_step is None else int(row.min_step),
                _nan(row.max),
                last_step if row.max_step is None else int(row.max_step),
                float(row.first_time),
                float(row.last_time),
            )
        ],
        dtype=PACKED,
    )
    return rec.tobytes()


def upgrade() -> None:
    conn = op.get_bind()
    if "packed" in {c["name"] for c in sa.inspect(conn).get_columns("summaries")}:
        return
    op.add_column("summaries", sa.Column("packed", sa.LargeBinary, nullable=True))
    summaries = sa.table(
        "summaries",
        *(sa.column(c) for c in ("run_id", "key", "count", "last", "last_step", "min")),
        *(sa.column(c) for c in ("min_step", "max", "max_step", "first_time", "last_time")),
        sa.column("packed", sa.LargeBinary),
    )
    update = (
        sa.update(summaries)
        .where(
            summaries.c.run_id == sa.bindparam("b_run"), summaries.c.key == sa.bindparam("b_key")
        )
        .values(packed=sa.bindparam("b_packed"))
    )
    rows = conn.execute(sa.select(summaries)).all()
    for i in range(0, len(rows), 1000):
        part = rows[i : i + 1000]
        conn.execute(
            update, [{"b_run": r.run_id, "b_key": r.key, "b_packed": packed(r)} for r in part]
        )
    with op.batch_alter_table("summaries") as batch:
        batch.alter_column("packed", existing_type=sa.LargeBinary, nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("summaries") as batch:
        batch.drop_column("packed")
