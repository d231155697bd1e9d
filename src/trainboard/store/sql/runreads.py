"""Finding runs in SQL: one run, a filtered and sorted page of them, or their count, each with
its metric summaries.

Why apart from SQLStore: the runs list is the Runs page's hot read (10,000 runs with summaries
in 200 ms); its filters, its order and how summaries are fetched change for speed or for a new
filter, never with how a transaction is retried. leaders.py aggregates over the same filters
and order, and every other read and write asks `require_run` whether its run exists.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from trainboard import gcpause
from trainboard.errors import RunNotFoundError, UsageError
from trainboard.store import limits
from trainboard.store.queries import RUN_SORTS, RunQuery
from trainboard.store.records import RunRecord
from trainboard.store.sql import rows
from trainboard.store.sql.schema import runs, summaries

if TYPE_CHECKING:
    from trainboard.store.sql.store import SQLStore


def get_run(store: SQLStore, run_id: str) -> RunRecord:
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

    return store._read(tx)


def run_filters(store: SQLStore, query: RunQuery) -> list[sa.ColumnElement[bool]]:
    """WHERE of list_runs, count_runs and group_leaders (limits checked first)."""
    for name in ("project", "model", "tag", "search"):
        if getattr(query, name) is not None:
            limits.check_text(f"list_runs: {name}", getattr(query, name))
    w: list[sa.ColumnElement[bool]] = []
    if query.project is not None:
        w.append(runs.c.project == query.project)
    if query.model is not None:
        w.append(runs.c.model == query.model)
    if query.status is not None:
        rows.check_status(query.status)
        w.append(runs.c.status == query.status)
    if query.archived is not None:
        w.append(runs.c.archived == bool(query.archived))
    if query.tag is not None:
        pattern = "%" + rows.escape_like(orjson.dumps(query.tag).decode()) + "%"
        w.append(runs.c.tags.like(pattern, escape="\\"))
    if query.search:
        pattern = "%" + rows.escape_like(query.search.lower()) + "%"
        w.append(store._lower(runs.c.name).like(pattern, escape="\\"))
    return w


def run_order(store: SQLStore, query: RunQuery) -> list[sa.ColumnElement[Any]]:
    """ORDER BY of list_runs: newest first, or by model first (runs without one last, in
    byte order on both engines) so that a page holds a model's runs together."""
    newest: list[sa.ColumnElement[Any]] = [runs.c.created_at.desc(), runs.c.id.desc()]
    if query.sort == "created":
        return newest
    if query.sort == "model":
        return [runs.c.model.is_(None), store._bytewise(runs.c.model), *newest]
    raise UsageError(f"sort must be one of {', '.join(RUN_SORTS)}, got {query.sort!r}")


def list_runs(store: SQLStore, query: RunQuery | None = None) -> list[RunRecord]:
    query = query or RunQuery()
    where = run_filters(store, query)
    if query.limit is not None and query.limit < 0 or query.offset < 0:
        raise UsageError(f"limit and offset must be >= 0, got {query.limit}, {query.offset}")
    if query.limit is not None:
        limits.check_int("list_runs: limit", query.limit)
    limits.check_int("list_runs: offset", query.offset)
    q = sa.select(*rows.RUN_COLS).where(*where).order_by(*run_order(store, query))
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
        found = summary_rows(conn, list(by_id))
        for (rid, key, _), m in zip(
            found, rows.summary_records([r[2] for r in found]), strict=True
        ):
            summary = by_id.get(rid)
            if summary is not None:  # another run's row (a whole-table read)
                summary[key] = m
        return records

    return store._read(tx)


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


def count_runs(store: SQLStore, query: RunQuery | None = None) -> int:
    where = run_filters(store, query or RunQuery())
    q = sa.select(sa.func.count()).select_from(runs).where(*where)
    return store._read(lambda conn: int(conn.execute(q).scalar_one()))


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
