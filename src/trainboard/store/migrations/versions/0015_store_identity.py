"""A store's identity, written in it: a random id made once, when the store is first brought
to this revision, kept in store_meta (key "store_id").

Why: journals, spools and recovery must know which store they belong to whatever URL names
it (`…@127.0.0.1:5432/db`, `…@localhost/db`, `http://localhost:8000` or `127.0.0.1`), so
they key on this id instead of the URL's spelling (journal/files.py, store/remote/spool.py).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    meta = op.create_table(
        "store_meta",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    op.bulk_insert(meta, [{"key": "store_id", "value": uuid.uuid4().hex}])


def downgrade() -> None:
    op.drop_table("store_meta")
