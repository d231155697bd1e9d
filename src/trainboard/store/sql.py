"""The Store contract in SQLAlchemy Core, shared by the SQLite and PostgreSQL engines.

Engines differ only in how a connection is opened, how a write transaction begins (SQLite:
BEGIN IMMEDIATE) and which database errors are transient (retried with backoff); those are
the hooks of `SQLStore`. Everything else is written once, in this package:

- sql.py: SQLStore itself (runs, filters, texts, histograms, artifacts) and its one retry loop;
- migrate.py: schema revisions, checked and upgraded on open;
- rows.py: records <-> rows (limits checked, JSON columns, packed summaries);
- append.py: the write plan of write_points and the chunk reads;
- leaders.py: group leaders from aggregate queries.
"""

from __future__ import annotations

import os
import random
import time
import weakref
from collections.abc import Callable, Iterable, Sequence
from typing import Any, ClassVar, TypeVar

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, IntegrityError

from trainboard import gcpause
from trainboard.errors import RunNotFoundError, StoreError, UsageError
from trainboard.jsonvalues import spell_all
from trainboard.store import append, downsample, leaders, limits, migrate, rows
from trainboard.store.append import CHUNK_POINTS
from trainboard.store.base import Store
from trainboard.store.queries import RUN_SORTS, GroupLeaders, RunQuery, SeriesQuery, XAxis
from trainboard.store.records import (
    ArtifactRecord,
    EventRecord,
    HistogramRecord,
    PointBatch,
    RunRecord,
    Series,
    Status,
    TextRecord,
    check_event,
    check_namespace,
)
from trainboard.store.rows import (
    artifact_record,
    artifact_row,
    histogram_record,
    histogram_row,
    text_row,
)
from trainboard.store.rows import dumps_json as dumps
from trainboard.store.schema import (
    PER_RUN_TABLES,
    artifacts,
    histograms,
    run_events,
    run_values,
    runs,
    summaries,
    texts,
)

T = TypeVar("T")

RETRY_SECONDS = 120.0
"""How long a write keeps retrying transient lock errors before giving up with StoreError."""

_ENGINES: weakref.WeakSet[Engine] = weakref.WeakSet()


def _forget_pools_after_fork() -> None:
    """A forked child (a DataLoader worker, a multiprocessing pool) must not reuse or close
    the parent's database connections: drop them and let the child open its own."""
    for engine in list(_ENGINES):
        engine.dispose(close=False)


os.register_at_fork(after_in_child=_forget_pools_after_fork)


class SQLStore(Store):
    """A Store over one SQLAlchemy engine. Subclasses open the engine and set the hooks."""

    def __init__(self, url: str, engine: Engine) -> None:
        self.url = url
        self.engine = engine
        _ENGINES.add(engine)
        try:
            migrate.bring_to_head(self)
        except (DBAPIError, StoreError) as e:
            engine.dispose()
            cause = e if isinstance(e, DBAPIError) else e.__cause__
            if not isinstance(cause, DBAPIError):
                raise
            hint = ""
            if "not a database" in str(cause.orig):
                hint = " (the file is damaged, or is not a trainboard store)"
            raise StoreError(
                f"could not open the store at {self._safe_url()}: {cause.orig}{hint}"
            ) from e

    def _safe_url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    # transactions ---------------------------------------------------------------------
    def _write(self, fn: Callable[[Connection], T]) -> T:
        """Run fn in one write transaction, retrying transient lock errors with backoff."""
        return self._retry(fn, write=True)

    def _read(self, fn: Callable[[Connection], T]) -> T:
        """Run fn in one read transaction (a consistent snapshot), retrying transient errors."""
        return self._retry(fn, write=False)

    def _retry(self, fn: Callable[[Connection], T], *, write: bool) -> T:
        """The one retry loop of reads and writes: transient errors (locks, serialization
        failures) back off and retry for RETRY_SECONDS; anything else is a StoreError at
        once (an IntegrityError of a write stays itself, for create_run to name)."""
        deadline = time.monotonic() + RETRY_SECONDS
        delay = 0.005
        while True:
            try:
                with self.engine.connect() as conn:
                    if write:
                        self._before_write(conn)
                    with conn.begin():
                        return fn(conn)
            except DBAPIError as e:
                if not self._is_transient(e) or time.monotonic() > deadline:
                    if write and isinstance(e, IntegrityError):
                        raise
                    what = "write" if write else "read"
                    raise StoreError(f"store {what} failed ({self._safe_url()}): {e.orig}") from e
            time.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 2, 0.5)

    # engine hooks ---------------------------------------------------------------------
    _blob_cursor_args: ClassVar[dict[str, Any]] = {}
    """DBAPI cursor arguments for reading chunk blobs (PostgreSQL: binary results, half the
    bytes of hex text and no parsing)."""

    def _before_write(self, conn: Connection) -> None:
        """Called before a write transaction begins (SQLite asks for BEGIN IMMEDIATE)."""

    def _lock_migrations(self, conn: Connection) -> None:
        """Serialise concurrent migrations (PostgreSQL takes an advisory lock)."""

    def _is_transient(self, exc: DBAPIError) -> bool:
        return False

    def _lower(self, column: sa.ColumnElement[str]) -> sa.ColumnElement[str]:
        """Unicode lower-casing in SQL, the same as Python's str.lower() (for `search`)."""
        return sa.func.lower(column)

    def _bytewise(self, column: sa.ColumnElement[str]) -> sa.ColumnElement[str]:
        """`column` compared byte by byte (SQLite's default; PostgreSQL sorts by locale)."""
        return column.collate("C") if self.engine.dialect.name == "postgresql" else column

    # runs -----------------------------------------------------------------------------
    def create_run(self, run: RunRecord) -> RunRecord:
        row = rows.run_row(run)

        def tx(conn: Connection) -> None:
            exists = conn.execute(sa.select(runs.c.id).where(runs.c.id == run.id)).first()
            if exists is not None:
                raise UsageError(f"create_run: a run with id {run.id!r} already exists")
            conn.execute(sa.insert(runs), row)

        try:
            self._write(tx)
        except IntegrityError as e:
            raise UsageError(f"create_run: a run with id {run.id!r} already exists") from e
        return run

    def get_run(self, run_id: str) -> RunRecord:
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

        return self._read(tx)

    def _where(self, query: RunQuery) -> list[sa.ColumnElement[bool]]:
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
            w.append(self._lower(runs.c.name).like(pattern, escape="\\"))
        return w

    def _order(self, query: RunQuery) -> list[sa.ColumnElement[Any]]:
        """ORDER BY of list_runs: newest first, or by model first (runs without one last, in
        byte order on both engines) so that a page holds a model's runs together."""
        newest: list[sa.ColumnElement[Any]] = [runs.c.created_at.desc(), runs.c.id.desc()]
        if query.sort == "created":
            return newest
        if query.sort == "model":
            return [runs.c.model.is_(None), self._bytewise(runs.c.model), *newest]
        raise UsageError(f"sort must be one of {', '.join(RUN_SORTS)}, got {query.sort!r}")

    def list_runs(self, query: RunQuery | None = None) -> list[RunRecord]:
        query = query or RunQuery()
        where = self._where(query)
        if query.limit is not None and query.limit < 0 or query.offset < 0:
            raise UsageError(f"limit and offset must be >= 0, got {query.limit}, {query.offset}")
        if query.limit is not None:
            limits.check_int("list_runs: limit", query.limit)
        limits.check_int("list_runs: offset", query.offset)
        q = sa.select(*rows.RUN_COLS).where(*where).order_by(*self._order(query))
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
            found = self._summary_rows(conn, list(by_id))
            for (rid, key, _), m in zip(
                found, rows.summary_records([r[2] for r in found]), strict=True
            ):
                summary = by_id.get(rid)
                if summary is not None:  # another run's row (a whole-table read)
                    summary[key] = m
            return records

        return self._read(tx)

    def _summary_rows(self, conn: Connection, ids: list[str]) -> list[tuple[Any, ...]]:
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

    def group_leaders(
        self, query: RunQuery, models: Iterable[str | None]
    ) -> dict[str | None, GroupLeaders]:
        """The contract's GroupLeaders from a few aggregate queries (store/leaders.py)."""
        return leaders.group_leaders(self, query, models)

    def count_runs(self, query: RunQuery | None = None) -> int:
        q = sa.select(sa.func.count()).select_from(runs).where(*self._where(query or RunQuery()))
        return self._read(lambda conn: int(conn.execute(q).scalar_one()))

    def update_run(self, run_id: str, **fields: Any) -> None:
        limits.check_text("update_run: run id", run_id)
        values = rows.update_values(fields)

        def tx(conn: Connection) -> None:
            if not values:
                self._require_run(conn, run_id)
                return
            res = conn.execute(sa.update(runs).where(runs.c.id == run_id).values(**values))
            if res.rowcount == 0:
                raise RunNotFoundError(run_id)

        self._write(tx)

    def update_run_if(self, run_id: str, expect_status: Status, **fields: Any) -> bool:
        limits.check_text("update_run_if: run id", run_id)
        rows.check_status(expect_status)
        values = rows.update_values(fields)

        def tx(conn: Connection) -> bool:
            if not values:
                raise UsageError("update_run_if: name at least one field to set")
            stmt = sa.update(runs).where(runs.c.id == run_id, runs.c.status == expect_status)
            if conn.execute(stmt.values(**values)).rowcount == 1:
                return True
            self._require_run(conn, run_id)
            return False

        return self._write(tx)

    def _require_run(self, conn: Connection, run_id: str) -> None:
        if conn.execute(sa.select(runs.c.id).where(runs.c.id == run_id)).first() is None:
            raise RunNotFoundError(run_id)

    def _require_runs(self, conn: Connection, ids: list[str]) -> None:
        found: set[str] = set()
        for i in range(0, len(ids), 500):
            part = ids[i : i + 500]
            found.update(conn.execute(sa.select(runs.c.id).where(runs.c.id.in_(part))).scalars())
        for run_id in ids:
            if run_id not in found:
                raise RunNotFoundError(run_id)

    def set_archived(self, run_ids: Iterable[str], archived: bool) -> int:
        ids = [limits.check_text("set_archived: run id", i) for i in dict.fromkeys(run_ids)]

        def tx(conn: Connection) -> int:
            self._require_runs(conn, ids)
            for i in range(0, len(ids), 500):
                part = ids[i : i + 500]
                conn.execute(
                    sa.update(runs).where(runs.c.id.in_(part)).values(archived=bool(archived))
                )
            return len(ids)

        return self._write(tx)

    def delete_runs(self, run_ids: Iterable[str]) -> int:
        ids = [limits.check_text("delete_runs: run id", i) for i in dict.fromkeys(run_ids)]

        def tx(conn: Connection) -> int:
            self._require_runs(conn, ids)
            for i in range(0, len(ids), 500):
                part = ids[i : i + 500]
                for table in PER_RUN_TABLES:
                    conn.execute(sa.delete(table).where(table.c.run_id.in_(part)))
                conn.execute(sa.delete(runs).where(runs.c.id.in_(part)))
            return len(ids)

        return self._write(tx)

    # metrics --------------------------------------------------------------------------
    def write_points(self, run_id: str, batches: dict[str, PointBatch]) -> None:
        limits.check_text("write_points: run id", run_id)
        prepared = {key: append.Prepared(key, b) for key, b in batches.items()}
        prepared = {k: p for k, p in prepared.items() if p.steps.shape[0]}
        if not prepared:
            self._read(lambda conn: self._require_run(conn, run_id))
            return
        top = max(int(p.steps[-1]) for p in prepared.values())

        def tx(conn: Connection) -> None:
            if conn.execute(append.BUMP_LAST_STEP, {"b_id": run_id, "top": top}).rowcount == 0:
                raise RunNotFoundError(run_id)
            params = {"b_run": run_id, "b_keys": list(prepared)}
            old = {r.key: r for r in conn.execute(append.SUMMARIES_OF_KEYS, params)}
            plan = append.WritePlan()
            for key, p in prepared.items():
                append.plan_append(conn, plan, run_id, key, p, old.get(key), self._blob_cursor_args)
            plan.flush(conn)

        self._write(tx)

    def read_series(
        self,
        run_id: str,
        key: str,
        *,
        max_points: int | None = None,
        x: XAxis = "step",
        since: int | None = None,
        start: int | None = None,
        end: int | None = None,
    ) -> Series:
        q = SeriesQuery(max_points, x, since, start, end)
        limits.check_text("read_series: run id", run_id)
        limits.check_text("read_series: key", key)

        def tx(
            conn: Connection,
        ) -> tuple[int, tuple[append.Int64s, append.Int64s, append.Float64s]]:
            total = conn.execute(
                sa.select(summaries.c.count).where(
                    summaries.c.run_id == run_id, summaries.c.key == key
                )
            ).scalar_one_or_none()
            if total is None:
                self._require_run(conn, run_id)
                total = 0
            return int(total), append.load(
                conn, run_id, key, q.since, q.start, q.end, self._blob_cursor_args
            )

        total, (steps, times_us, values) = self._read(tx)
        downsampled = False
        if q.max_points is not None and steps.shape[0] > q.max_points:
            xs = steps if q.x == "step" else times_us
            idx = downsample.bucket_indices(xs, values, q.max_points)
            steps, times_us, values = steps[idx], times_us[idx], values[idx]
            downsampled = True
        times = times_us / 1e6
        return Series(key, steps, times, values, total=total, downsampled=downsampled)

    def metric_keys(self, run_id: str) -> list[str]:
        limits.check_text("metric_keys: run id", run_id)

        def tx(conn: Connection) -> list[str]:
            q = sa.select(summaries.c.key).where(summaries.c.run_id == run_id)
            keys = list(conn.execute(q.order_by(summaries.c.key)).scalars())
            if not keys:
                self._require_run(conn, run_id)
            return keys

        return self._read(tx)

    # texts, histograms, artifacts -----------------------------------------------------
    def write_texts(self, run_id: str, rows: Sequence[TextRecord]) -> None:
        limits.check_text("write_texts: run id", run_id)
        values = [text_row(run_id, r) for r in rows]

        def tx(conn: Connection) -> None:
            self._require_run(conn, run_id)
            if values:
                conn.execute(sa.insert(texts), values)

        self._write(tx)

    def read_texts(
        self, run_id: str, key: str | None = None, since: int | None = None
    ) -> list[TextRecord]:
        limits.check_text("read_texts: run id", run_id)
        if key is not None:
            limits.check_text("read_texts: key", key)
        if since is not None:
            limits.check_int("read_texts: since", since)
        q = sa.select(texts).where(texts.c.run_id == run_id)
        if key is not None:
            q = q.where(texts.c.key == key)
        if since is not None:
            q = q.where(texts.c.step > since)
        q = q.order_by(texts.c.step, texts.c.id)

        def tx(conn: Connection) -> list[TextRecord]:
            self._require_run(conn, run_id)
            return [
                TextRecord(r.key, int(r.step), float(r.wall_time), r.text) for r in conn.execute(q)
            ]

        return self._read(tx)

    def write_histograms(self, run_id: str, rows: Sequence[HistogramRecord]) -> None:
        limits.check_text("write_histograms: run id", run_id)
        values = [histogram_row(run_id, r) for r in rows]

        def tx(conn: Connection) -> None:
            self._require_run(conn, run_id)
            if values:
                conn.execute(sa.insert(histograms), values)

        self._write(tx)

    def read_histograms(self, run_id: str, key: str | None = None) -> list[HistogramRecord]:
        limits.check_text("read_histograms: run id", run_id)
        if key is not None:
            limits.check_text("read_histograms: key", key)
        q = sa.select(histograms).where(histograms.c.run_id == run_id)
        if key is not None:
            q = q.where(histograms.c.key == key)
        q = q.order_by(histograms.c.key, histograms.c.step, histograms.c.id)

        def tx(conn: Connection) -> list[HistogramRecord]:
            self._require_run(conn, run_id)
            return [histogram_record(r) for r in conn.execute(q)]

        return self._read(tx)

    def add_artifact(self, run_id: str, artifact: ArtifactRecord) -> ArtifactRecord:
        limits.check_text("add_artifact: run id", run_id)
        row = artifact_row(run_id, artifact)

        def tx(conn: Connection) -> int:
            self._require_run(conn, run_id)
            res = conn.execute(sa.insert(artifacts), row)
            return int(res.inserted_primary_key[0])  # type: ignore[index]

        artifact.id = self._write(tx)
        return artifact

    def list_artifacts(self, run_id: str) -> list[ArtifactRecord]:
        limits.check_text("list_artifacts: run id", run_id)
        q = sa.select(artifacts).where(artifacts.c.run_id == run_id).order_by(artifacts.c.id)

        def tx(conn: Connection) -> list[ArtifactRecord]:
            self._require_run(conn, run_id)
            return [artifact_record(r) for r in conn.execute(q)]

        return self._read(tx)

    # run values and events ------------------------------------------------------------
    def write_run_values(self, run_id: str, namespace: str, values: dict[str, Any]) -> None:
        check_namespace(namespace)
        keys = list(values)
        found = [
            {"run_id": run_id, "namespace": namespace, "key": k, "value": dumps(spell_all(v))}
            for k, v in values.items()
            if v is not None
        ]
        t = run_values

        def tx(conn: Connection) -> None:
            self._require_run(conn, run_id)
            for i in range(0, len(keys), 500):  # replace: delete then insert, on both engines
                part = keys[i : i + 500]
                where = (t.c.run_id == run_id) & (t.c.namespace == namespace)
                conn.execute(sa.delete(t).where(where & t.c.key.in_(part)))
            if found:
                conn.execute(sa.insert(t), found)

        self._write(tx)

    def read_run_values(self, run_id: str, namespace: str) -> dict[str, Any]:
        check_namespace(namespace)
        t = run_values
        q = sa.select(t.c.key, t.c.value).where(t.c.run_id == run_id, t.c.namespace == namespace)

        def tx(conn: Connection) -> dict[str, Any]:
            self._require_run(conn, run_id)
            return {k: orjson.loads(v) for k, v in conn.execute(q.order_by(t.c.key))}

        return self._read(tx)

    def add_events(self, run_id: str, rows: Sequence[EventRecord]) -> None:
        for e in rows:
            check_event(e)
        values = [
            {
                "run_id": run_id,
                "kind": e.kind,
                "level": e.level,
                "title": e.title,
                "text": e.text,
                "step": e.step,
                "wall_time": float(e.wall_time),
            }
            for e in rows
        ]

        def tx(conn: Connection) -> None:
            self._require_run(conn, run_id)
            if values:
                conn.execute(sa.insert(run_events), values)

        self._write(tx)

    def read_events(self, run_id: str) -> list[EventRecord]:
        t = run_events
        q = sa.select(t).where(t.c.run_id == run_id).order_by(t.c.id)

        def tx(conn: Connection) -> list[EventRecord]:
            self._require_run(conn, run_id)
            return [
                EventRecord(
                    kind=r.kind,
                    title=r.title,
                    text=r.text,
                    level=r.level,
                    wall_time=float(r.wall_time),
                    step=None if r.step is None else int(r.step),
                    id=int(r.id),
                )
                for r in conn.execute(q)
            ]

        return self._read(tx)

    # lifecycle ------------------------------------------------------------------------
    def close(self) -> None:
        self.engine.dispose()


__all__ = ["CHUNK_POINTS", "SQLStore"]
