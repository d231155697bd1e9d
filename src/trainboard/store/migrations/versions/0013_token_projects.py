"""Project-scoped tokens: a token may be limited to some projects (`trainboard token create
--project P`), kept as a JSON list in tokens.projects (NULL: every project).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("tokens") as batch:
        batch.add_column(sa.Column("projects", sa.Text))


def downgrade() -> None:
    with op.batch_alter_table("tokens") as batch:
        batch.drop_column("projects")
