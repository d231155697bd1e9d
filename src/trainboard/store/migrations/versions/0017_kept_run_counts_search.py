"""Run counts kept as runs change, and name and tag search by index (#24).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-08

- run_counts (project, status, model_key, archived) -> n: how many runs each group holds,
  kept by triggers on runs (insert, delete, and an update that moves a run to another group),
  so the Runs page's count and the facets read a few hundred rows, never every run. Triggers
  and not store code: every path that writes runs (create, import, status changes, archive,
  delete, a person's SQL) keeps them right. model_key is '' for runs without a model and
  '=' || model otherwise, so a NULL model is one key on both engines.
- SQLite: runs_fts, an FTS5 trigram index of runs.name and runs.tags (external content, keyed
  by runs.rowid), kept by triggers: a name search or a tag of 3 or more characters reads the
  runs that hold those trigrams instead of every run (store/sql/search.py).
- PostgreSQL, where pg_trgm exists (0011): a trigram index on runs.tags for the tag filter.
Filled from ix_runs_facets (index only) and the runs' names and tags: no point, chunk or
summary row is read or rewritten.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | None = None
depends_on: str | None = None

MODEL_KEY = "COALESCE('=' || {r}.model, '')"

SQLITE = [
    """CREATE TRIGGER tr_runs_counted_insert AFTER INSERT ON runs BEGIN
    INSERT INTO run_counts (project, status, model_key, archived, n)
    VALUES (NEW.project, NEW.status, COALESCE('=' || NEW.model, ''), NEW.archived, 1)
    ON CONFLICT (project, status, model_key, archived) DO UPDATE SET n = n + 1;
    END""",
    """CREATE TRIGGER tr_runs_counted_delete AFTER DELETE ON runs BEGIN
    UPDATE run_counts SET n = n - 1 WHERE project = OLD.project AND status = OLD.status
    AND model_key = COALESCE('=' || OLD.model, '') AND archived = OLD.archived;
    END""",
    """CREATE TRIGGER tr_runs_counted_update AFTER UPDATE OF project, status, model, archived
    ON runs WHEN OLD.project IS NOT NEW.project OR OLD.status IS NOT NEW.status
    OR OLD.model IS NOT NEW.model OR OLD.archived IS NOT NEW.archived BEGIN
    UPDATE run_counts SET n = n - 1 WHERE project = OLD.project AND status = OLD.status
    AND model_key = COALESCE('=' || OLD.model, '') AND archived = OLD.archived;
    INSERT INTO run_counts (project, status, model_key, archived, n)
    VALUES (NEW.project, NEW.status, COALESCE('=' || NEW.model, ''), NEW.archived, 1)
    ON CONFLICT (project, status, model_key, archived) DO UPDATE SET n = n + 1;
    END""",
    "CREATE VIRTUAL TABLE runs_fts USING fts5(name, tags, content='runs', "
    "content_rowid='rowid', tokenize='trigram')",
    """CREATE TRIGGER tr_runs_fts_insert AFTER INSERT ON runs BEGIN
    INSERT INTO runs_fts (rowid, name, tags) VALUES (NEW.rowid, NEW.name, NEW.tags);
    END""",
    """CREATE TRIGGER tr_runs_fts_delete AFTER DELETE ON runs BEGIN
    INSERT INTO runs_fts (runs_fts, rowid, name, tags)
    VALUES ('delete', OLD.rowid, OLD.name, OLD.tags);
    END""",
    """CREATE TRIGGER tr_runs_fts_update AFTER UPDATE OF name, tags ON runs
    WHEN OLD.name IS NOT NEW.name OR OLD.tags IS NOT NEW.tags BEGIN
    INSERT INTO runs_fts (runs_fts, rowid, name, tags)
    VALUES ('delete', OLD.rowid, OLD.name, OLD.tags);
    INSERT INTO runs_fts (rowid, name, tags) VALUES (NEW.rowid, NEW.name, NEW.tags);
    END""",
    "INSERT INTO runs_fts (runs_fts) VALUES ('rebuild')",
]

POSTGRES = [
    """CREATE FUNCTION trainboard_count_runs() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP <> 'INSERT' THEN
        UPDATE run_counts SET n = n - 1 WHERE project = OLD.project AND status = OLD.status
        AND model_key = COALESCE('=' || OLD.model, '') AND archived = OLD.archived;
      END IF;
      IF TG_OP <> 'DELETE' THEN
        INSERT INTO run_counts (project, status, model_key, archived, n)
        VALUES (NEW.project, NEW.status, COALESCE('=' || NEW.model, ''), NEW.archived, 1)
        ON CONFLICT (project, status, model_key, archived)
        DO UPDATE SET n = run_counts.n + 1;
      END IF;
      RETURN NULL;
    END $$""",
    "CREATE TRIGGER tr_runs_counted AFTER INSERT OR DELETE ON runs "
    "FOR EACH ROW EXECUTE FUNCTION trainboard_count_runs()",
    """CREATE TRIGGER tr_runs_counted_update AFTER UPDATE OF project, status, model, archived
    ON runs FOR EACH ROW WHEN (OLD.project IS DISTINCT FROM NEW.project
    OR OLD.status IS DISTINCT FROM NEW.status OR OLD.model IS DISTINCT FROM NEW.model
    OR OLD.archived IS DISTINCT FROM NEW.archived)
    EXECUTE FUNCTION trainboard_count_runs()""",
]


def upgrade() -> None:
    op.create_table(
        "run_counts",
        sa.Column("project", sa.String(), primary_key=True),
        sa.Column("status", sa.String(16), primary_key=True),
        sa.Column("model_key", sa.String(), primary_key=True),
        sa.Column("archived", sa.Boolean(), primary_key=True),
        sa.Column("n", sa.BigInteger(), nullable=False),
    )
    conn = op.get_bind()
    pg = conn.dialect.name == "postgresql"
    for stmt in POSTGRES if pg else SQLITE:
        op.execute(sa.text(stmt))
    op.execute(
        sa.text(
            "INSERT INTO run_counts (project, status, model_key, archived, n)"
            f" SELECT project, status, {MODEL_KEY.format(r='runs')}, archived, count(*)"
            " FROM runs GROUP BY project, status, model, archived"
        )
    )
    if pg and conn.execute(sa.text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")).first():
        op.execute(sa.text("CREATE INDEX ix_runs_tags_trgm ON runs USING gin (tags gin_trgm_ops)"))
    op.execute(sa.text("ANALYZE run_counts"))


def downgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == "postgresql":
        op.execute(sa.text("DROP INDEX IF EXISTS ix_runs_tags_trgm"))
        op.execute(sa.text("DROP TRIGGER tr_runs_counted_update ON runs"))
        op.execute(sa.text("DROP TRIGGER tr_runs_counted ON runs"))
        op.execute(sa.text("DROP FUNCTION trainboard_count_runs()"))
    else:
        for name in ("insert", "delete", "update"):
            op.execute(sa.text(f"DROP TRIGGER tr_runs_fts_{name}"))
            op.execute(sa.text(f"DROP TRIGGER tr_runs_counted_{name}"))
        op.execute(sa.text("DROP TABLE runs_fts"))
    op.drop_table("run_counts")
