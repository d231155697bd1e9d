"""`Runs`: the runs table in SQL. Reads: one run, a filtered and sorted page of them, or their
count, each with its metric summaries. Writes: create, update (plain or only while a status
holds), archive and delete, each one write transaction.

Why one object over a `Database`: the runs list is the Runs page's hot read (10,000 runs with
summaries in 200 ms); its filters, its order and how summaries are fetched change for speed
or for a new filter, never with how a transaction is retried. leaders.py aggregates over the
same `filters` and `order`, and every other resource asks `require_run` whether its run exists
(a function of the connection: it runs inside their transactions). What a write checks and
touches (the runs row, every per-run table on delete) changes with the schema; the values
themselves are checked by checks.update_values (store/checks.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from trainboard import gcpause, limits
from trainboard.errors import RunNotFoundError, StoreError, UsageError
from trainboard.store import checks
from trainboard.store.queries import RUN_SORTS, RunQuery
from trainboard.store.records import RunRecord, Status
from trainboard.store.sql import configindex, counts, rows, search
from trainboard.store.sql.db import Database
from trainboard.store.sql.media import Media
from trainboard.store.sql.schema import PER_RUN_TABLES, runs, summaries


class Runs:
    """The runs table over a Database: reads and writes of runs and their summaries."""

    def __init__(self, db: Database, media: Media | None = None) -> None:
        self.db = db
        self.media = media  # deleting runs deletes the media bytes no other run uses

    # reads ------------------------------------------------------------------------------
    def get(self, run_id: str) -> RunRecord:
        limits.check_text("get_run: run id", run_id)

        def tx(conn: Connection) -> RunRecord:
            row = conn.execute(sa.select(*rows.RUN_COLS).where(runs.c.id == run_id)).first()
            if row is None:
                raise RunNotFoundError(run_id)
            rec = rows.run_record(row)
            q = sa.select(summaries.c.key, summaries.c.packed)
            found = conn.execute(q.where(summaries.c.run_id == run_id)).all()
            records = rows.summary_records([r[1] for r in found])
            rec.summary = {r[0]: m for r, m in zip(found, records, strict=True)}
            return rec

        return self.db.read(tx)

    def filters(self, query: RunQuery, by_index: bool = True) -> list[sa.ColumnElement[bool]]:
        """WHERE of page, count and the group leaders (limits checked first). `by_index`
        False leaves out the trigram index's narrowing (search.py): for queries that probe
        runs one by one from another index, where the LIKE alone is cheaper."""
        for name in ("project", "model", "tag", "search", "name"):
            if getattr(query, name) is not None:
                limits.check_text(f"list_runs: {name}", getattr(query, name))
        w: list[sa.ColumnElement[bool]] = []
        if query.project is not None:
            w.append(runs.c.project == query.project)
        if query.projects is not None:
            w.append(runs.c.project.in_(query.projects))
        if query.model is not None:
            w.append(runs.c.model == query.model)
        if query.status is not None:
            checks.check_status(query.status)  # one of STATUSES: safe as a literal, which lets
            # SQLite use the partial index ix_runs_running (the live poller's query)
            w.append(runs.c.status == sa.literal_column(f"'{query.status}'"))
        if query.archived is not None:
            w.append(runs.c.archived == bool(query.archived))
        fts = by_index and self.db.dialect.name == "sqlite"  # runs_fts narrows, LIKE decides
        if query.tag is not None:
            quoted = orjson.dumps(query.tag).decode()
            if fts and search.indexed(quoted):
                w.append(search.holding("tags", quoted))
            w.append(runs.c.tags.like("%" + rows.escape_like(quoted) + "%", escape="\\"))
        if query.search:
            text = query.search.lower()
            if fts and search.indexed(text):
                w.append(search.holding("name", text))
            pattern = "%" + rows.escape_like(text) + "%"
            w.append(self.db.dialect.lower(runs.c.name).like(pattern, escape="\\"))
        if query.name is not None:
            w.append(runs.c.name == query.name)
        for n, f in enumerate(query.config):
            w.append(configindex.matches(f.check(), n))
        if query.id_prefix:
            p = limits.check_text("list_runs: id_prefix", query.id_prefix)
            # a range the primary key answers, and LIKE for the exact rule
            w += [runs.c.id >= p, runs.c.id < p[:-1] + chr(ord(p[-1]) + 1)]
            w.append(runs.c.id.like(rows.escape_like(p) + "%", escape="\\"))
        if query.after is not None:
            if query.sort != "created":
                raise UsageError(
                    f"list_runs: after= pages the newest-first list only, not {query.sort!r}"
                )
            created, rid = query.after
            w.append(
                sa.tuple_(runs.c.created_at, runs.c.id)
                < sa.tuple_(sa.literal(float(created)), sa.literal(str(rid)))
            )
        return w

    def order(self, query: RunQuery) -> list[sa.ColumnElement[Any]]:
        """ORDER BY of page: newest first, or by model first (runs without one last, in
        byte order on both engines) so that a page holds a model's runs together."""
        newest: list[sa.ColumnElement[Any]] = [runs.c.created_at.desc(), runs.c.id.desc()]
        if query.sort == "created":
            return newest
        if query.sort == "model":
            return [runs.c.model.is_(None), self.db.dialect.bytewise(runs.c.model), *newest]
        raise UsageError(f"sort must be one of {', '.join(RUN_SORTS)}, got {query.sort!r}")

    def page(self, query: RunQuery | None = None) -> list[RunRecord]:
        query = query or RunQuery()
        where = self.filters(query)
        if query.limit is not None and query.limit < 0 or query.offset < 0:
            raise UsageError(f"limit and offset must be >= 0, got {query.limit}, {query.offset}")
        if query.limit is not None:
            limits.check_int("list_runs: limit", query.limit)
        limits.check_int("list_runs: offset", query.offset)
        q = sa.select(*rows.RUN_COLS).where(*where).order_by(*self.order(query))
        if query.limit is not None:
            q = q.limit(query.limit)
        if query.offset:
            q = q.offset(query.offset)

        def tx(conn: Connection) -> list[RunRecord]:
            with gcpause.paused():
                return build(conn)

        def build(conn: Connection) -> list[RunRecord]:
            records = [rows.run_record(r) for r in rows.fetch_all(conn, q)]
            if not records:
                return records
            by_id = {r.id: r.summary for r in records}
            found = summary_rows(conn, [*by_id])
            for (rid, key, _), m in zip(
                found, rows.summary_records([r[2] for r in found]), strict=True
            ):
                summary = by_id.get(rid)
                if summary is not None:  # another run's row (a whole-table read)
                    summary[key] = m
            return records

        return self.db.read(tx)

    def by_ids(self, ids: list[str]) -> list[RunRecord]:
        """The runs `ids` in that order, with their summaries; ids that do not exist are left
        out (a page whose order the database worked out, store/sql/tablesort.py)."""

        def tx(conn: Connection) -> list[RunRecord]:
            records: list[RunRecord] = []
            for i in range(0, len(ids), 900):
                q = sa.select(*rows.RUN_COLS).where(runs.c.id.in_(ids[i : i + 900]))
                records += [rows.run_record(r) for r in rows.fetch_all(conn, q)]
            by_id = {r.id: r.summary for r in records}
            found = summary_rows(conn, [*by_id])
            for (rid, key, _), m in zip(
                found, rows.summary_records([r[2] for r in found]), strict=True
            ):
                summary = by_id.get(rid)
                if summary is not None:
                    summary[key] = m
            return records

        found = {r.id: r for r in self.db.read(tx)}
        return [found[i] for i in ids if i in found]

    def count(self, query: RunQuery | None = None) -> int:
        """The exact count: from the kept counts where the filters allow (counts.py), else a
        count(*) of the matching runs."""
        query = query or RunQuery()
        where = self.filters(query)
        if counts.countable(query):
            return self.db.read(lambda conn: counts.kept_count(conn, query))
        q = sa.select(sa.func.count()).select_from(runs).where(*where)
        return self.db.read(lambda conn: int(conn.execute(q).scalar_one()))

    def count_upto(self, query: RunQuery, cap: int) -> tuple[int, bool]:
        """(count, exact): the exact count where the kept counts answer or at most `cap` runs
        match; else (cap, False), having read only cap + 1 matching runs."""
        where = self.filters(query)
        if counts.countable(query):
            return self.db.read(lambda conn: counts.kept_count(conn, query)), True
        first = sa.select(sa.literal(1)).select_from(runs).where(*where).limit(cap + 1)
        q = sa.select(sa.func.count()).select_from(first.subquery())
        n = self.db.read(lambda conn: int(conn.execute(q).scalar_one()))
        return (n, True) if n <= cap else (cap, False)

    # writes -----------------------------------------------------------------------------
    # _live_heartbeat: a heartbeat of a live run (heartbeat_at set together with status
    # "running", as the SDK's writer and resume send it) is stored as the time the store got
    # it, on the store's clock (Dialect.now): a training host whose clock is an hour off can
    # then turn neither a live run into a crashed one nor a killed one into a running one.
    # Other heartbeat_at values (an importer's event times, a final status) are kept.

    def create(self, run: RunRecord) -> RunRecord:
        row = rows.run_row(run)
        config_rows = configindex.rows_of_text(run.id, row["created_at"], row["config"])

        def tx(conn: Connection) -> None:
            exists = conn.execute(sa.select(runs.c.id).where(runs.c.id == run.id)).first()
            if exists is not None:
                raise UsageError(f"create_run: a run with id {run.id!r} already exists")
            if row.get("heartbeat_at") is not None and row.get("status") == "running":
                row["heartbeat_at"] = self.db.dialect.now(conn)  # see _live_heartbeat
            conn.execute(sa.insert(runs), row)
            configindex.insert(conn, config_rows)

        try:
            self.db.write(tx)
        except StoreError as e:
            if isinstance(e.__cause__, IntegrityError):  # created by another process meanwhile
                raise UsageError(f"create_run: a run with id {run.id!r} already exists") from e
            raise
        return run

    def update(self, run_id: str, fields: dict[str, Any]) -> None:
        limits.check_text("update_run: run id", run_id)
        values = checks.update_values(fields)

        def tx(conn: Connection) -> None:
            if not values:
                require_run(conn, run_id)
                return
            if values.get("heartbeat_at") is not None and values.get("status") == "running":
                values["heartbeat_at"] = self.db.dialect.now(conn)  # see _live_heartbeat
            res = conn.execute(sa.update(runs).where(runs.c.id == run_id).values(**values))
            if res.rowcount == 0:
                raise RunNotFoundError(run_id)
            if "config" in values:
                configindex.rewrite(conn, run_id, values["config"])

        self.db.write(tx)

    def update_if(self, run_id: str, expect_status: Status, fields: dict[str, Any]) -> bool:
        limits.check_text("update_run_if: run id", run_id)
        checks.check_status(expect_status)
        values = checks.update_values(fields)

        def tx(conn: Connection) -> bool:
            if not values:
                raise UsageError("update_run_if: name at least one field to set")
            stmt = sa.update(runs).where(runs.c.id == run_id, runs.c.status == expect_status)
            if conn.execute(stmt.values(**values)).rowcount == 1:
                if "config" in values:
                    configindex.rewrite(conn, run_id, values["config"])
                return True
            require_run(conn, run_id)
            return False

        return self.db.write(tx)

    def set_archived(self, run_ids: Iterable[str], archived: bool) -> int:
        ids = [limits.check_text("set_archived: run id", i) for i in dict.fromkeys(run_ids)]

        def tx(conn: Connection) -> int:
            require_runs(conn, ids)
            for i in range(0, len(ids), 500):
                part = ids[i : i + 500]
                stmt = sa.update(runs).where(runs.c.id.in_(part))
                conn.execute(stmt.values(archived=bool(archived)))
            return len(ids)

        return self.db.write(tx)

    def delete(self, run_ids: Iterable[str]) -> int:
        ids = [limits.check_text("delete_runs: run id", i) for i in dict.fromkeys(run_ids)]

        orphans: list[str] = []

        def tx(conn: Connection) -> int:
            require_runs(conn, ids)
            if self.media is not None:  # before the media_uses rows go
                orphans[:] = self.media.forget_runs(conn, ids)
            for i in range(0, len(ids), 500):
                part = ids[i : i + 500]
                for table in PER_RUN_TABLES:
                    conn.execute(sa.delete(table).where(table.c.run_id.in_(part)))
                conn.execute(sa.delete(runs).where(runs.c.id.in_(part)))
            return len(ids)

        n = self.db.write(tx)
        if self.media is not None:
            self.media.sweep(orphans)
        return n


def summary_rows(conn: Connection, ids: list[str]) -> list[tuple[Any, ...]]:
    """(run_id, key, packed) of the runs `ids`, and perhaps of others. When the runs are
    most of the table (a list of everything), one plain scan of summaries is the cheapest
    read (an IN over 10,000 ids costs twice as much); else the ids go in batches."""
    cols = (summaries.c.run_id, summaries.c.key, summaries.c.packed)
    if len(ids) > 500:
        n_runs = conn.execute(sa.select(sa.func.count()).select_from(runs)).scalar_one()
        if 2 * len(ids) >= int(n_runs):
            return rows.fetch_all(conn, sa.select(*cols))
    found: list[tuple[Any, ...]] = []
    for i in range(0, len(ids), 900):
        found += rows.fetch_all(
            conn, sa.select(*cols).where(summaries.c.run_id.in_(ids[i : i + 900]))
        )
    return found


def require_run(conn: Connection, run_id: str) -> None:
    if conn.execute(sa.select(runs.c.id).where(runs.c.id == run_id)).first() is None:
        raise RunNotFoundError(run_id)


def require_runs(conn: Connection, ids: list[str]) -> None:
    found: set[str] = set()
    for i in range(0, len(ids), 500):
        part = ids[i : i + 500]
        found.update(conn.execute(sa.select(runs.c.id).where(runs.c.id.in_(part))).scalars())
    for run_id in ids:
        if run_id not in found:
            raise RunNotFoundError(run_id)
