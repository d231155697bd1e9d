"""`Imports`: many new runs with their points in one transaction (Store.import_runs).

Why its own object: create_run and write_points are one transaction each, with a commit, an
existence check and a summary read per run; for a run of a few hundred points that overhead
is most of the cost (about 130 runs/s on SQLite). An import knows every run is new, so here
the runs rows go in with one executemany, every chunk and summary row with one more each
(append.WritePlan, the same rows write_points makes), and one commit covers them all.
"""

from __future__ import annotations

import operator
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, IntegrityError

from trainboard.errors import StoreError, UsageError
from trainboard.store.prepared import Prepared
from trainboard.store.records import PointBatch, RunRecord
from trainboard.store.sql import append, configindex, rows
from trainboard.store.sql.db import Database
from trainboard.store.sql.schema import chunks, run_config, runs, summaries

EXISTING = sa.select(runs.c.id).where(runs.c.id.in_(sa.bindparam("b_ids", expanding=True)))


class Imports:
    """Store.import_runs over a Database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def runs(self, items: Sequence[tuple[RunRecord, Mapping[str, PointBatch]]]) -> int:
        # Every row is built (checked, encoded, summarised) before the transaction: only the
        # inserts hold the write lock, so on SQLite several importing processes encode while
        # one writes, and a PostgreSQL transaction is a few round trips long.
        run_rows = []
        plan = append.WritePlan()
        seen: set[str] = set()
        for run, batches in items:
            row = rows.run_row(run)
            if run.id in seen:
                raise UsageError(f"import_runs: run id {run.id!r} appears twice")
            seen.add(run.id)
            top = None
            for key, batch in batches.items():
                p = Prepared(key, batch)
                if p.steps.shape[0]:
                    append.plan_new(plan, run.id, key, p)
                    last = int(p.steps[-1])
                    top = last if top is None else max(top, last)
            if top is not None:
                row["last_step"] = top if row["last_step"] is None else max(row["last_step"], top)
            run_rows.append(row)
        if not run_rows:
            return 0
        ids = list(seen)
        config_rows = [
            c
            for r in run_rows
            for c in configindex.rows_of_text(r["id"], r["created_at"], r["config"])
        ]

        def tx(conn: Connection) -> None:
            for i in range(0, len(ids), 500):
                found = conn.execute(EXISTING, {"b_ids": ids[i : i + 500]}).first()
                if found is not None:
                    raise UsageError(f"import_runs: a run with id {found[0]!r} already exists")
            live = [r for r in run_rows if r["status"] == "running" and r["heartbeat_at"]]
            if live:  # on the store's clock, as create_run does (runs.py: _live_heartbeat)
                now = self.db.dialect.now(conn)
                for r in live:
                    r["heartbeat_at"] = now
            insert_many(conn, runs, run_rows)
            insert_many(conn, chunks, plan.chunk_inserts)
            insert_many(conn, summaries, plan.summary_inserts)
            insert_many(conn, run_config, config_rows)

        try:
            self.db.write(tx)
        except StoreError as e:
            if isinstance(e.__cause__, IntegrityError):  # created by another process meanwhile
                raise UsageError("import_runs: a run with one of these ids already exists") from e
            raise
        return len(run_rows)


def insert_many(conn: Connection, table: sa.Table, values: list[dict[str, Any]]) -> None:
    """INSERT every row of `values` (dicts with the same keys, already in the database's
    spelling: rows.run_row, append.chunk_row) with one DBAPI executemany of positional
    tuples. SQLAlchemy's executemany builds and processes a parameter dict per row, which
    cost more than SQLite's inserts themselves for the 20,000 rows of a 5,000-run import;
    these columns need no processing (text, numbers, bools, bytes). Parameters only: the
    statement's names are the table's own columns, quoted by the dialect."""
    if not values:
        return
    cols = list(values[0])
    quote = conn.dialect.identifier_preparer.quote
    style = conn.dialect.paramstyle
    if style not in ("qmark", "format", "pyformat"):  # not ours; keep SQLAlchemy's way
        conn.execute(sa.insert(table), values)
        return
    mark = "?" if style == "qmark" else "%s"
    sql = (
        f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in cols)}) "
        f"VALUES ({', '.join([mark] * len(cols))})"
    )
    getter = operator.itemgetter(*cols)
    params = [getter(v) for v in values] if len(cols) > 1 else [(v[cols[0]],) for v in values]
    dbapi_error = conn.dialect.loaded_dbapi.Error
    cursor = conn.connection.cursor()
    try:
        cursor.executemany(sql, params)
    except dbapi_error as e:  # as SQLAlchemy would raise it: Database retries and reports it
        raise DBAPIError.instance(sql, None, e, dbapi_error, dialect=conn.dialect) from e
    finally:
        cursor.close()


__all__ = ["Imports"]
