"""chunks.data stored as it is: PostgreSQL no longer tries to compress it.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01

A chunk is already compressed by trainboard (store/codec/chunks.py), so PostgreSQL's own TOAST
compression (pglz) of every chunk written found nothing to gain and cost most of the database's
time on the ingest path: with STORAGE EXTERNAL, 8 remote clients' points reached the disk in
about a quarter of the time. Only new and rewritten chunks are affected; old ones read as
before. SQLite has no such setting.
"""

from __future__ import annotations

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE chunks ALTER COLUMN data SET STORAGE EXTERNAL")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE chunks ALTER COLUMN data SET STORAGE EXTENDED")
