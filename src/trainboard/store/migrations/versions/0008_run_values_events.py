"""Run values (a run's own summary dict, importers' resume points) and run events (alerts).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | None = None
depends_on: str | None = None

F64 = sa.Float(53)


def upgrade() -> None:
    op.create_table(
        "run_values",
        sa.Column("run_id", sa.String(64), primary_key=True),
        sa.Column("namespace", sa.String(32), primary_key=True),
        sa.Column("key", sa.String(), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    op.create_table(
        "run_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("step", sa.BigInteger),
        sa.Column("wall_time", F64, nullable=False),
    )
    op.create_index("ix_run_events_run", "run_events", ["run_id", "id"])


def downgrade() -> None:
    op.drop_table("run_events")
    op.drop_table("run_values")
