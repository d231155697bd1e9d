"""The Runs page's filters by index (#24): a project's or a status's runs newest first, and a
run found by its exact name (Api().run(name)), without reading every run.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07

- runs (project, created_at, id) replaces runs (project): the same lookups, and a project's
  page newest first is an index walk that stops after the page instead of a sort of all
  its runs.
- runs (status, created_at, id): a status's page (failed, crashed...) newest first.
- runs (name): Api().run("name") asks for runs of exactly that name; it scanned every name.
Indexes only: no row is rewritten (seconds on a store of 100,000 runs, whatever its points).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_index("ix_runs_project_created", "runs", ["project", "created_at", "id"])
    op.drop_index("ix_runs_project", table_name="runs")
    op.create_index("ix_runs_status_created", "runs", ["status", "created_at", "id"])
    op.create_index("ix_runs_name", "runs", ["name"])
    op.execute(sa.text("ANALYZE runs"))


def downgrade() -> None:
    op.drop_index("ix_runs_name", table_name="runs")
    op.drop_index("ix_runs_status_created", table_name="runs")
    op.create_index("ix_runs_project", "runs", ["project"])
    op.drop_index("ix_runs_project_created", table_name="runs")
