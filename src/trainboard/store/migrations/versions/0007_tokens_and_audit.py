"""Scoped API tokens (only their hashes) and the record of who deleted or archived runs.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None

F64 = sa.Float(53)


def upgrade() -> None:
    # idempotent: for a short while this revision was numbered 0006 on a development branch,
    # so a store may already hold these tables
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    if "tokens" not in existing:
        _tokens()
    if "audit" not in existing:
        _audit()


def _tokens() -> None:
    op.create_table(
        "tokens",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("scope", sa.String(16), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("created_at", F64, nullable=False),
        sa.Column("revoked_at", F64),
    )
    op.create_index("ix_tokens_hash", "tokens", ["hash"], unique=True)


def _audit() -> None:
    op.create_table(
        "audit",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", F64, nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("run_ids", sa.Text, nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("audit")
    op.drop_index("ix_tokens_hash", table_name="tokens")
    op.drop_table("tokens")
