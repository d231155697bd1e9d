"""Initial schema: runs, chunked points, summaries, texts, histograms, artifacts.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

F64 = sa.Float(53)


def upgrade() -> None:
    op.create_table(
        "runs",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("project", sa.String(255), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("model", sa.String(255)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("archived", sa.Boolean, nullable=False),
        sa.Column("config", sa.Text, nullable=False),
        sa.Column("tags", sa.Text, nullable=False),
        sa.Column("total_steps", sa.BigInteger),
        sa.Column("created_at", F64, nullable=False),
        sa.Column("finished_at", F64),
        sa.Column("heartbeat_at", F64),
        sa.Column("host", sa.String(255)),
        sa.Column("pid", sa.Integer),
        sa.Column("last_step", sa.BigInteger),
        sa.Column("goals", sa.Text, nullable=False),
        sa.Column("notes", sa.Text),
    )
    op.create_index("ix_runs_created_at", "runs", ["created_at"])
    op.create_index("ix_runs_project", "runs", ["project"])
    op.create_table(
        "chunks",
        sa.Column("run_id", sa.String(64), primary_key=True),
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("n", sa.Integer, nullable=False),
        sa.Column("step_min", sa.BigInteger, nullable=False),
        sa.Column("step_max", sa.BigInteger, nullable=False),
        sa.Column("time_min", F64, nullable=False),
        sa.Column("time_max", F64, nullable=False),
        sa.Column("value_min", F64),
        sa.Column("value_max", F64),
        sa.Column("data", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "summaries",
        sa.Column("run_id", sa.String(64), primary_key=True),
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("count", sa.BigInteger, nullable=False),
        sa.Column("last", F64),
        sa.Column("last_step", sa.BigInteger, nullable=False),
        sa.Column("min", F64),
        sa.Column("min_step", sa.BigInteger),
        sa.Column("max", F64),
        sa.Column("max_step", sa.BigInteger),
        sa.Column("first_time", F64, nullable=False),
        sa.Column("last_time", F64, nullable=False),
        sa.Column("tail_seq", sa.Integer, nullable=False),
        sa.Column("tail_n", sa.Integer, nullable=False),
    )
    op.create_table(
        "texts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.String(64), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("step", sa.BigInteger, nullable=False),
        sa.Column("wall_time", F64, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
    )
    op.create_index("ix_texts_run_key_step", "texts", ["run_id", "key", "step"])
    op.create_table(
        "histograms",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.String(64), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("step", sa.BigInteger, nullable=False),
        sa.Column("wall_time", F64, nullable=False),
        sa.Column("edges", sa.LargeBinary, nullable=False),
        sa.Column("counts", sa.LargeBinary, nullable=False),
        sa.Column("min", F64),
        sa.Column("max", F64),
        sa.Column("count", sa.BigInteger, nullable=False),
        sa.Column("sum", F64),
    )
    op.create_index("ix_histograms_run_key_step", "histograms", ["run_id", "key", "step"])
    op.create_table(
        "artifacts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("step", sa.BigInteger),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("wall_time", F64, nullable=False),
    )
    op.create_index("ix_artifacts_run", "artifacts", ["run_id"])


def downgrade() -> None:
    for table in ("artifacts", "histograms", "texts", "summaries", "chunks", "runs"):
        op.drop_table(table)
