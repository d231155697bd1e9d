"""runs list index on (created_at, id), the list's order (was created_at alone).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01

Why a revision of its own: this change was first made by editing 0001 after stores had been
made with it, so a store may reach this revision with the index in either form. The upgrade
looks at the index and rebuilds it only when it is still the old one.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def _columns() -> list[str]:
    for ix in sa.inspect(op.get_bind()).get_indexes("runs"):
        if ix["name"] == "ix_runs_created_at":
            return [str(c) for c in ix["column_names"]]
    return []


def upgrade() -> None:
    if _columns() == ["created_at", "id"]:
        return
    if _columns():
        op.drop_index("ix_runs_created_at", table_name="runs")
    op.create_index("ix_runs_created_at", "runs", ["created_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_runs_created_at", table_name="runs")
    op.create_index("ix_runs_created_at", "runs", ["created_at"])
