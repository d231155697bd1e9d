"""Changing runs in SQL: create, update (plain or only while a status holds), archive and
delete, each one write transaction.

Why apart from SQLStore: what a run write checks and touches (the runs row, every per-run
table on delete) changes with the schema and the product's rules about runs, not with how a
transaction is retried; the values themselves are checked by rows.update_values.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from trainboard.errors import RunNotFoundError, UsageError
from trainboard.store import limits
from trainboard.store.records import RunRecord, Status
from trainboard.store.sql import rows
from trainboard.store.sql.runreads import require_run, require_runs
from trainboard.store.sql.schema import PER_RUN_TABLES, runs

if TYPE_CHECKING:
    from trainboard.store.sql.store import SQLStore


def create_run(store: SQLStore, run: RunRecord) -> RunRecord:
    row = rows.run_row(run)

    def tx(conn: Connection) -> None:
        exists = conn.execute(sa.select(runs.c.id).where(runs.c.id == run.id)).first()
        if exists is not None:
            raise UsageError(f"create_run: a run with id {run.id!r} already exists")
        conn.execute(sa.insert(runs), row)

    try:
        store._write(tx)
    except IntegrityError as e:
        raise UsageError(f"create_run: a run with id {run.id!r} already exists") from e
    return run


def update_run(store: SQLStore, run_id: str, fields: dict[str, Any]) -> None:
    limits.check_text("update_run: run id", run_id)
    values = rows.update_values(fields)

    def tx(conn: Connection) -> None:
        if not values:
            require_run(conn, run_id)
            return
        res = conn.execute(sa.update(runs).where(runs.c.id == run_id).values(**values))
        if res.rowcount == 0:
            raise RunNotFoundError(run_id)

    store._write(tx)


def update_run_if(
    store: SQLStore, run_id: str, expect_status: Status, fields: dict[str, Any]
) -> bool:
    limits.check_text("update_run_if: run id", run_id)
    rows.check_status(expect_status)
    values = rows.update_values(fields)

    def tx(conn: Connection) -> bool:
        if not values:
            raise UsageError("update_run_if: name at least one field to set")
        stmt = sa.update(runs).where(runs.c.id == run_id, runs.c.status == expect_status)
        if conn.execute(stmt.values(**values)).rowcount == 1:
            return True
        require_run(conn, run_id)
        return False

    return store._write(tx)


def set_archived(store: SQLStore, run_ids: Iterable[str], archived: bool) -> int:
    ids = [limits.check_text("set_archived: run id", i) for i in dict.fromkeys(run_ids)]

    def tx(conn: Connection) -> int:
        require_runs(conn, ids)
        for i in range(0, len(ids), 500):
            part = ids[i : i + 500]
            conn.execute(sa.update(runs).where(runs.c.id.in_(part)).values(archived=bool(archived)))
        return len(ids)

    return store._write(tx)


def delete_runs(store: SQLStore, run_ids: Iterable[str]) -> int:
    ids = [limits.check_text("delete_runs: run id", i) for i in dict.fromkeys(run_ids)]

    def tx(conn: Connection) -> int:
        require_runs(conn, ids)
        for i in range(0, len(ids), 500):
            part = ids[i : i + 500]
            for table in PER_RUN_TABLES:
                conn.execute(sa.delete(table).where(table.c.run_id.in_(part)))
            conn.execute(sa.delete(runs).where(runs.c.id.in_(part)))
        return len(ids)

    return store._write(tx)
