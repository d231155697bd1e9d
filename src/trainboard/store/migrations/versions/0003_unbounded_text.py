"""Unbounded text for names, keys and kinds (PostgreSQL took only 255 characters).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01

SQLite never enforced the VARCHAR(255) lengths, so only PostgreSQL changes. The change from
varchar(n) to varchar is binary compatible there (no table rewrite), and it is a no-op for a
store whose 0001 was the later, edited form that already had unbounded columns.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None

COLUMNS = (
    ("runs", "project", False, 255),
    ("runs", "name", False, 255),
    ("runs", "model", True, 255),
    ("runs", "host", True, 255),
    ("chunks", "key", False, 255),
    ("summaries", "key", False, 255),
    ("texts", "key", False, 255),
    ("histograms", "key", False, 255),
    ("artifacts", "name", False, 255),
    ("artifacts", "kind", False, 64),
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column, nullable, _ in COLUMNS:
        op.alter_column(table, column, type_=sa.String(), existing_nullable=nullable)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column, nullable, length in COLUMNS:
        op.alter_column(table, column, type_=sa.String(length), existing_nullable=nullable)
