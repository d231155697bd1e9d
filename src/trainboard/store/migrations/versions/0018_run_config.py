"""Config values by index (#24): the run_config table, one row per (run, config name) with a
single value, back-filled from every run's config.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-08

Why: the runs table sorted by a config value, and the runs list filtered by one, read every
matching run's config JSON (2.9 s on SQLite, 5.6 s on PostgreSQL at 100,000 runs). With
these rows and their two indexes both are index reads (store/sql/configindex.py).
The back-fill reads runs (id, created_at, config) only, never points: it costs per run, not
per point. The indexes are built after the rows are in.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from trainboard.store.sql.configindex import rows_of_text

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | None = None
depends_on: str | None = None

BATCH = 5000


def upgrade() -> None:
    table = op.create_table(
        "run_config",
        sa.Column("run_id", sa.String(64), primary_key=True),
        sa.Column("path", sa.String(), primary_key=True),
        sa.Column("kind", sa.Integer, nullable=False),
        sa.Column("num", sa.Float(53)),
        sa.Column("fold", sa.Text().with_variant(sa.Text(collation="C"), "postgresql")),
        sa.Column("text", sa.Text),
        sa.Column("created_at", sa.Float(53), nullable=False),
    )
    conn = op.get_bind()
    runs = sa.table("runs", sa.column("id"), sa.column("created_at"), sa.column("config"))
    last = ""
    while True:
        got = conn.execute(
            sa.select(runs.c.id, runs.c.created_at, runs.c.config)
            .where(runs.c.id > last)
            .order_by(runs.c.id)
            .limit(BATCH)
        ).all()
        if not got:
            break
        rows: list[dict[str, Any]] = []
        for rid, created, text in got:
            rows += rows_of_text(rid, created, text)
        if rows and conn.dialect.name == "postgresql":
            _copy(conn, rows)  # COPY: an executemany of 900,000 rows took minutes
        elif rows:
            conn.execute(sa.insert(table), rows)
        last = got[-1][0]
    op.create_index(
        "ix_run_config_asc",
        "run_config",
        ["path", "num", "fold", sa.text("created_at DESC"), sa.text("run_id DESC")],
    )
    op.create_index(
        "ix_run_config_desc", "run_config", ["path", "num", "fold", "created_at", "run_id"]
    )
    op.execute(sa.text("ANALYZE run_config"))


COLUMNS = ("run_id", "path", "kind", "num", "fold", "text", "created_at")


def _copy(conn: sa.Connection, rows: list[dict[str, Any]]) -> None:
    """`rows` into run_config by COPY, in the migration's transaction (psycopg 3)."""
    raw: Any = conn.connection.dbapi_connection
    with raw.cursor() as cur:
        with cur.copy(f"COPY run_config ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for r in rows:
                copy.write_row(tuple(r[c] for c in COLUMNS))


def downgrade() -> None:
    op.drop_table("run_config")
