"""The store's tables as SQLAlchemy Core metadata, shared by both engines.

Migrations (migrations/versions/) create exactly these tables; a test keeps the two in step.
Float columns may hold NULL where a value is NaN: SQLite stores NaN as NULL, so the engines
read NULL back as NaN in the float columns of `summaries`.
JSON columns (config, tags, goals) are orjson text; orjson writes NaN as null.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    false,
    text,
)

metadata = MetaData()

F64 = Float(53)

runs = Table(
    "runs",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("project", String(), nullable=False),
    Column("name", String(), nullable=False),
    Column("model", String()),
    Column("status", String(16), nullable=False),
    Column("archived", Boolean, nullable=False, default=False),
    Column("config", Text, nullable=False),
    Column("tags", Text, nullable=False),
    Column("total_steps", BigInteger),
    Column("created_at", F64, nullable=False),
    Column("finished_at", F64),
    Column("heartbeat_at", F64),
    Column("host", String()),
    Column("pid", Integer),
    Column("last_step", BigInteger),
    Column("goals", Text, nullable=False),
    Column("notes", Text),
    Column("chosen", Boolean, nullable=False, default=False, server_default=false()),
    Index("ix_runs_created_at", "created_at", "id"),
    # 0014 (#24): a project's or a status's runs newest first; a run by its exact name
    Index("ix_runs_project_created", "project", "created_at", "id"),
    Index("ix_runs_status_created", "status", "created_at", "id"),
    Index("ix_runs_name", "name"),
    # 0016 (#24): the facets' GROUP BY (project, status, model), index only
    Index("ix_runs_facets", "project", "status", "model", "archived"),
    # 0011 (#24): a model's runs newest first; the live poller's running runs; the few runs
    # with define_metric() goals
    Index("ix_runs_model_created", "model", "created_at", "id"),
    Index(
        "ix_runs_running",
        "status",
        sqlite_where=text("status = 'running'"),
        postgresql_where=text("status = 'running'"),
    ),
    Index(
        "ix_runs_with_goals",
        "created_at",
        "id",
        sqlite_where=text("goals != '{}'"),
        postgresql_where=text("goals != '{}'"),
    ),
)

PG_ONLY_INDEXES = {"runs": frozenset({"ix_runs_name_trgm", "ix_runs_tags_trgm"})}
"""Indexes 0011 and 0017 make on PostgreSQL only, where pg_trgm can be created: trigram
indexes on lower(name) for name search and on tags for the tag filter."""

SQLITE_ONLY_TABLES = frozenset(
    {"runs_fts", "runs_fts_data", "runs_fts_idx", "runs_fts_docsize", "runs_fts_config"}
)
"""The FTS5 trigram index 0017 makes on SQLite (a virtual table and its shadow tables): name
search and the tag filter by index (store/sql/search.py). Kept by triggers, never written
by store code."""

# 0017 (#24): how many runs each (project, status, model, archived) group holds, kept by
# triggers on runs (see the migration), so counts and facets never read every run.
# model_key: '' for runs without a model, '=' || model otherwise (store/sql/counts.py).
run_counts = Table(
    "run_counts",
    metadata,
    Column("project", String(), primary_key=True),
    Column("status", String(16), primary_key=True),
    Column("model_key", String(), primary_key=True),
    Column("archived", Boolean, primary_key=True),
    Column("n", BigInteger, nullable=False),
)

# One row per (run, key, seq): up to CHUNK_POINTS points as one chunks.encode() blob.
chunks = Table(
    "chunks",
    metadata,
    Column("run_id", String(64), primary_key=True),
    Column("key", String(), primary_key=True),
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("n", Integer, nullable=False),
    Column("step_min", BigInteger, nullable=False),
    Column("step_max", BigInteger, nullable=False),
    Column("time_min", F64, nullable=False),
    Column("time_max", F64, nullable=False),
    Column("value_min", F64),  # over finite values; NULL when none is finite
    Column("value_max", F64),
    Column("data", LargeBinary, nullable=False),
    # 0011 (#24): where value_min and value_max are, and whether every value is finite and
    # steps strictly increase: a long series downsampled from these rows (store/tiers.py)
    Column("min_step", BigInteger),
    Column("min_time", F64),
    Column("max_step", BigInteger),
    Column("max_time", F64),
    Column("plain", Boolean),
    # every column but `data`: the rows tiers.py reads, without reading the blobs
    Index(
        "ix_chunks_extremes",
        *("run_id", "key", "seq", "n", "step_min", "step_max", "time_min", "time_max"),
        *("value_min", "value_max", "min_step", "min_time", "max_step", "max_time", "plain"),
    ),
)

# One row per (run, key), updated in the same transaction as each write_points.
# tail_seq/tail_n locate the chunk that the next write appends to; `packed` repeats the
# summary as one binary record (written from the same values in the same statement) so that
# listing 10,000 runs unpacks 50,000 summaries in bulk.
summaries = Table(
    "summaries",
    metadata,
    Column("run_id", String(64), primary_key=True),
    Column("key", String(), primary_key=True),
    Column("count", BigInteger, nullable=False),
    Column("last", F64),
    Column("last_step", BigInteger, nullable=False),
    Column("min", F64),
    Column("min_step", BigInteger),
    Column("max", F64),
    Column("max_step", BigInteger),
    Column("first_time", F64, nullable=False),
    Column("last_time", F64, nullable=False),
    Column("tail_seq", Integer, nullable=False),
    Column("tail_n", Integer, nullable=False),
    Column("packed", LargeBinary, nullable=False),  # the same summary as one record, see sql.py
    # 0011 (#24): a group's extremes of a key, and the table sorted by a metric, by index
    Index("ix_summaries_key_min", "key", "min", "run_id"),
    Index("ix_summaries_key_max", "key", "max", "run_id"),
    Index("ix_summaries_key_last", "key", "last", "run_id"),
)

texts = Table(
    "texts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(64), nullable=False),
    Column("key", String(), nullable=False),
    Column("step", BigInteger, nullable=False),
    Column("wall_time", F64, nullable=False),
    Column("text", Text, nullable=False),
    Index("ix_texts_run_key_step", "run_id", "key", "step"),
)

# edges and counts are float64 little-endian blobs (exact, NaN-safe).
histograms = Table(
    "histograms",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(64), nullable=False),
    Column("key", String(), nullable=False),
    Column("step", BigInteger, nullable=False),
    Column("wall_time", F64, nullable=False),
    Column("edges", LargeBinary, nullable=False),
    Column("counts", LargeBinary, nullable=False),
    Column("min", F64),
    Column("max", F64),
    Column("count", BigInteger, nullable=False),
    Column("sum", F64),
    Index("ix_histograms_run_key_step", "run_id", "key", "step"),
)

artifacts = Table(
    "artifacts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(64), nullable=False),
    Column("name", String(), nullable=False),
    Column("kind", String(), nullable=False),
    Column("step", BigInteger),
    Column("path", Text, nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("wall_time", F64, nullable=False),
    Index("ix_artifacts_run", "run_id"),
)

# API tokens of a team server: only a SHA-256 of each token is kept (store/sql/tokens.py).
tokens = Table(
    "tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(), nullable=False),
    Column("scope", String(16), nullable=False),  # read | write | admin
    Column("hash", String(64), nullable=False),
    Column("created_at", F64, nullable=False),
    Column("revoked_at", F64),
    Column("projects", Text),  # JSON list of the projects it is limited to; NULL: all
    Index("ix_tokens_hash", "hash", unique=True),
)

# What a store says about itself: "store_id", its identity (a random hex id made when it was
# first migrated), which journals, spools and recovery key on instead of its URL.
store_meta = Table(
    "store_meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

# Who deleted, archived or unarchived which runs, and when (run_ids: a JSON list).
audit = Table(
    "audit",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", F64, nullable=False),
    Column("action", String(16), nullable=False),
    Column("run_ids", Text, nullable=False),
    Column("actor", String(), nullable=False),
)

# Named values a run keeps beside its metrics, one JSON value per (namespace, key):
# namespace "summary" is the run's own summary dict (wandb's run.summary), "import" holds an
# importer's resume points (file offsets) so a re-import adds only what is new.
run_values = Table(
    "run_values",
    metadata,
    Column("run_id", String(64), primary_key=True),
    Column("namespace", String(32), primary_key=True),
    Column("key", String(), primary_key=True),
    Column("value", Text, nullable=False),
)

# Things that happened to a run, in order (kind "alert": wandb.alert()).
run_events = Table(
    "run_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(64), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("level", String(16), nullable=False),
    Column("title", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("step", BigInteger),
    Column("wall_time", F64, nullable=False),
    Index("ix_run_events_run", "run_id", "id"),
)

# Where alerts go (store/sql/channels.py). `target` is the webhook URL, ntfy topic URL, email
# address or "desktop"; `events` the alert kinds it takes (JSON list, empty: the defaults);
# `rules` the metric thresholds (JSON list of "key op number"); `secret` a bearer token or
# SMTP login, never printed, exported or sent to a client.
alert_channels = Table(
    "alert_channels",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),
    Column("target", Text, nullable=False),
    Column("project", String()),
    Column("events", Text, nullable=False),
    Column("rules", Text, nullable=False),
    Column("secret", Text),
    Column("created_at", F64, nullable=False),
)

# Media (images, audio, video, tables): one row per item logged, naming its bytes by digest
# (the SHA-256 of the bytes, hex). store/sql/media.py keeps them.
media = Table(
    "media",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(64), nullable=False),
    Column("key", String(), nullable=False),
    Column("step", BigInteger, nullable=False),
    Column("idx", Integer, nullable=False),  # its place among the items of one (key, step)
    Column("kind", String(16), nullable=False),  # image | audio | video | table
    Column("digest", String(64), nullable=False),
    Column("mime", String(64), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("wall_time", F64, nullable=False),
    Column("caption", Text),
    Column("width", Integer),
    Column("height", Integer),
    Column("meta", Text),  # JSON: a table's columns, an audio's sample rate
    Index("ix_media_run_key_step", "run_id", "key", "step"),
)

# Every digest a run uses (its items', and the media cells of its tables): what deleting a
# run checks before it deletes bytes another run may share.
media_uses = Table(
    "media_uses",
    metadata,
    Column("run_id", String(64), primary_key=True),
    Column("digest", String(64), primary_key=True),
    Index("ix_media_uses_digest", "digest"),
)

# The bytes, stored once per digest. `data` holds them on PostgreSQL (and an in-memory
# SQLite store); a SQLite file keeps them in files beside itself and `data` is NULL.
media_blobs = Table(
    "media_blobs",
    metadata,
    Column("digest", String(64), primary_key=True),
    Column("mime", String(64), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("data", LargeBinary),
)

# One row per (run, config name) whose value is a single value (store/configpaths.py says
# which names): what the runs list filters by config value or range, and what the runs table
# sorts by a config column, read by index (store/sql/configindex.py). Kept with the run's
# config in the same transaction (create, import, update, delete). `num`: a number's or a
# bool's value (bools as 0 and 1); `fold`: a string's first FOLD_CHARS characters
# case-folded (the table's order; bytewise on both engines); `text`: the string itself;
# `kind`: configpaths NUMBER, BOOL, TEXT or NULL. `created_at` is the run's (it never
# changes): equal values list newest first straight from the index.
run_config = Table(
    "run_config",
    metadata,
    Column("run_id", String(64), primary_key=True),
    Column("path", String(), primary_key=True),
    Column("kind", Integer, nullable=False),
    Column("num", F64),
    Column("fold", Text().with_variant(Text(collation="C"), "postgresql")),
    Column("text", Text),
    Column("created_at", F64, nullable=False),
    Index("ix_run_config_desc", "path", "num", "fold", "created_at", "run_id"),
)
# ascending by value with equal values newest first; ix_run_config_desc walked backward
# is the descending order, again newest first among equals
Index(
    "ix_run_config_asc",
    run_config.c.path,
    run_config.c.num,
    run_config.c.fold,
    run_config.c.created_at.desc(),
    run_config.c.run_id.desc(),
)

PER_RUN_TABLES = (
    chunks,
    summaries,
    texts,
    histograms,
    artifacts,
    run_values,
    run_events,
    media,
    media_uses,
    run_config,
)
