"""The run facets by index (#24): counts per project, status and model over a filter.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07

- runs (project, status, model, archived): GET /facets groups runs by (project, status,
  model); with this index that is an index-only read on both engines, not a read of every
  runs row with its config and tags.
Index only: no row is rewritten.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_index("ix_runs_facets", "runs", ["project", "status", "model", "archived"])
    op.execute(sa.text("ANALYZE runs"))


def downgrade() -> None:
    op.drop_index("ix_runs_facets", table_name="runs")
