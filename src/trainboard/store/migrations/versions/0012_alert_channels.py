"""Alert channels: where trainboard tells people that a run went wrong (webhook, Slack, ntfy,
email, desktop), kept in the store so a team server and every client of it share them.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | None = None
depends_on: str | None = None

F64 = sa.Float(53)


def upgrade() -> None:
    op.create_table(
        "alert_channels",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("target", sa.Text, nullable=False),
        sa.Column("project", sa.String()),
        sa.Column("events", sa.Text, nullable=False),
        sa.Column("rules", sa.Text, nullable=False),
        sa.Column("secret", sa.Text),
        sa.Column("created_at", F64, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("alert_channels")
