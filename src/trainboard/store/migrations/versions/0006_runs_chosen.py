"""runs.chosen: the run a person chose (the Compare recommendation's "mark as chosen").

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01

A flag, like archived: the Runs page marks a chosen run, "archive the losers" never archives it,
and `trainboard ls --json` shows it. Existing runs are not chosen.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.add_column(
            sa.Column("chosen", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("chosen")
