"""The Store contract in SQLAlchemy Core, shared by the SQLite and PostgreSQL engines.

Engines differ only in how a connection is opened, how a write transaction begins (SQLite:
BEGIN IMMEDIATE) and which database errors are transient (retried with backoff); those are
the hooks at the bottom of `SQLStore`. Everything else (chunked points, summaries, filters,
JSON columns) is written once here.
"""

from __future__ import annotations

import dataclasses
import math
import os
import random
import time
import weakref
from collections.abc import Callable, Iterable, Sequence
from typing import Any, ClassVar, TypeVar

import numpy as np
import numpy.typing as npt
import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, Row
from sqlalchemy.exc import DBAPIError, IntegrityError

from trainboard import gcpause
from trainboard.errors import RunNotFoundError, StoreError, UsageError
from trainboard.jsonvalues import spell_all
from trainboard.roles import can_decide
from trainboard.store import chunks as codec
from trainboard.store import downsample, limits, migrate
from trainboard.store.base import (
    RUN_SORTS,
    STATUSES,
    UPDATABLE,
    ArtifactRecord,
    EventRecord,
    GroupLeaders,
    HistogramRecord,
    MetricSummary,
    PointBatch,
    RunQuery,
    RunRecord,
    Series,
    SeriesQuery,
    Status,
    Store,
    TextRecord,
    XAxis,
    check_event,
    check_namespace,
)
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
from trainboard.store.schema import chunks as chunks_t

T = TypeVar("T")

CHUNK_POINTS = 8192
"""Points per chunk: big enough that zstd sees long runs, small enough that rewriting the tail
chunk on a small append stays cheap (~0.1 ms)."""

STAGE_POINTS = 512
"""Small appends rewrite a staging tail of fewer points than this, not a whole chunk."""

RETRY_SECONDS = 120.0
"""How long a write keeps retrying transient lock errors before giving up with StoreError."""

_JSON_FIELDS = frozenset({"config", "tags", "goals"})

Int64s = npt.NDArray[np.int64]
Float64s = npt.NDArray[np.float64]


def _dumps(v: Any, field: str = "value") -> str:
    """JSON text for config/tags/goals. orjson writes NaN/inf as null (documented)."""
    try:
        return orjson.dumps(v, option=orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS).decode()
    except (orjson.JSONEncodeError, TypeError) as e:
        raise UsageError(f"{field} cannot be stored as JSON: {e}") from None


_TEXT_FIELDS = frozenset({"project", "name", "model", "host", "notes"})
_INT_FIELDS = {"total_steps": 64, "pid": 32, "last_step": 64}


def _check_run_fields(where: str, fields: dict[str, Any]) -> None:
    """Refuse run column values no engine can store (see store/limits.py)."""
    for k, v in fields.items():
        if v is None:
            continue
        if k == "project":
            limits.check_key(f"{where}: project", v)
        elif k in _TEXT_FIELDS:
            limits.check_text(f"{where}: {k}", v)
        elif k in _INT_FIELDS:
            limits.check_int(f"{where}: {k}", v, bits=_INT_FIELDS[k])
        elif k == "tags":
            for t in v if isinstance(v, list | tuple) else [v]:
                limits.check_text(f"{where}: tag", t)


def _f(x: float) -> float | None:
    """NaN -> NULL (SQLite cannot store NaN; PostgreSQL follows the same rule for symmetry)."""
    return None if x != x else float(x)


def _nan(x: float | None) -> float:
    return float("nan") if x is None else float(x)


def _escape_like(s: str) -> str:
    return s.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _int64_steps(key: str, raw: Any) -> Int64s:
    """Steps as int64, refusing what int64 cannot hold exactly: unsigned values past
    INT64_MAX (numpy would wrap 2**64-1 to -1) and fractional or out-of-range floats."""
    a = np.asarray(raw)
    if a.dtype.kind == "u" and a.size and int(a.max()) > limits.INT64_MAX:
        raise UsageError(
            f"write_points: {key!r} has step {int(a.max())}, outside int64 "
            f"({limits.INT64_MIN} to {limits.INT64_MAX})"
        )
    if a.dtype.kind == "f" and a.size:
        ok = np.isfinite(a) & (a == np.floor(a)) & (a >= -(2.0**63)) & (a < 2.0**63)
        if not bool(ok.all()):
            bad = float(a[~ok][0])
            raise UsageError(f"write_points: {key!r} has step {bad!r}, not an int64")
    return np.asarray(a, dtype=np.int64).reshape(-1)


class _Prepared:
    """One key's incoming points: validated, in step order, one point per step."""

    __slots__ = ("steps", "times_us", "values")

    def __init__(self, key: str, batch: PointBatch) -> None:
        if not isinstance(key, str) or not key:
            raise UsageError(f"write_points: metric key must be a non-empty str, got {key!r}")
        limits.check_key("write_points: metric key", key)
        try:
            steps = _int64_steps(key, batch.steps)
            times = np.asarray(batch.times, dtype=np.float64).reshape(-1)
            values = np.asarray(batch.values, dtype=np.float64).reshape(-1)
        except UsageError:
            raise
        except (TypeError, ValueError, OverflowError) as e:
            raise UsageError(
                f"write_points: {key!r} needs int64 steps and float times and values ({e})"
            ) from e
        if not (steps.shape[0] == times.shape[0] == values.shape[0]):
            raise UsageError(
                f"write_points: {key!r} needs steps, times and values of equal length, got "
                f"{steps.shape[0]}, {times.shape[0]}, {values.shape[0]}"
            )
        if not bool(np.all(np.isfinite(times))):
            raise UsageError(f"write_points: {key!r} has a non-finite wall time")
        order = downsample.step_order(steps)
        if order is not None:
            steps, times, values = steps[order], times[order], values[order]
        self.steps: Int64s = steps
        self.times_us: Int64s = codec.times_to_us(times)
        self.values: Float64s = values


def _finite_minmax(v: Float64s) -> tuple[int, int] | None:
    """Indices of the first minimum and first maximum finite value, or None if none is finite."""
    finite = np.isfinite(v)
    if not bool(finite.any()):
        return None
    return int(np.argmin(np.where(finite, v, np.inf))), int(np.argmax(np.where(finite, v, -np.inf)))


def _summary_of(steps: Int64s, times_us: Int64s, values: Float64s) -> dict[str, Any]:
    """Summary columns of a whole series in step order (one point per step)."""
    mm = _finite_minmax(values)
    return {
        "count": int(steps.shape[0]),
        "last": _f(float(values[-1])),
        "last_step": int(steps[-1]),
        "min": None if mm is None else float(values[mm[0]]),
        "min_step": None if mm is None else int(steps[mm[0]]),
        "max": None if mm is None else float(values[mm[1]]),
        "max_step": None if mm is None else int(steps[mm[1]]),
        "first_time": int(times_us.min()) / 1e6,
        "last_time": int(times_us.max()) / 1e6,
    }


def _merge_summary(old: Row[Any], new: dict[str, Any]) -> dict[str, Any]:
    """Summary after appending points whose steps all follow the stored ones (ties keep the
    earlier step as the best step)."""
    o = old._mapping
    out = dict(new)
    out["count"] = int(o["count"]) + int(new["count"])
    if o["min"] is not None and (new["min"] is None or not new["min"] < o["min"]):
        out["min"], out["min_step"] = o["min"], o["min_step"]
    if o["max"] is not None and (new["max"] is None or not new["max"] > o["max"]):
        out["max"], out["max_step"] = o["max"], o["max_step"]
    out["first_time"] = min(float(o["first_time"]), new["first_time"])
    out["last_time"] = max(float(o["last_time"]), new["last_time"])
    return out


_PACKED = np.dtype(
    [
        ("count", "<i8"),
        ("last", "<f8"),
        ("last_step", "<i8"),
        ("min", "<f8"),
        ("min_step", "<i8"),
        ("max", "<f8"),
        ("max_step", "<i8"),
        ("first_time", "<f8"),
        ("last_time", "<f8"),
    ]
)
"""summaries.packed: the row's MetricSummary as one 72-byte record, NaN kept, best steps
filled with last_step when no value is finite. Written from the same dict as the columns in
the same statement; read by list_runs, where unpacking 50,000 rows column by column in
Python cost more than the query."""


def _packed(summ: dict[str, Any]) -> bytes:
    last_step = summ["last_step"]
    rec = np.array(
        [
            (
                summ["count"],
                math.nan if summ["last"] is None else summ["last"],
                last_step,
                math.nan if summ["min"] is None else summ["min"],
                last_step if summ["min_step"] is None else summ["min_step"],
                math.nan if summ["max"] is None else summ["max"],
                last_step if summ["max_step"] is None else summ["max_step"],
                summ["first_time"],
                summ["last_time"],
            )
        ],
        dtype=_PACKED,
    )
    return rec.tobytes()


def _summary_records(blobs: Sequence[bytes]) -> list[MetricSummary]:
    """MetricSummary objects from summaries.packed values, unpacked in bulk by numpy."""
    if not blobs:
        return []
    arr = np.frombuffer(b"".join(blobs), dtype=_PACKED)
    cols = [arr[name].tolist() for name in _PACKED.names or ()]
    return list(map(MetricSummary, *cols))  # one call per summary, no tuple in between


_RUN_COLS = (
    runs.c.id,
    runs.c.project,
    runs.c.name,
    runs.c.model,
    runs.c.status,
    runs.c.archived,
    runs.c.config,
    runs.c.tags,
    runs.c.total_steps,
    runs.c.created_at,
    runs.c.finished_at,
    runs.c.heartbeat_at,
    runs.c.host,
    runs.c.pid,
    runs.c.last_step,
    runs.c.goals,
    runs.c.notes,
    runs.c.chosen,
)


_RECORD_ORDER = ("id", "project", "name", "model", "status", "archived", "config", "tags",
                 "total_steps", "created_at", "finished_at", "heartbeat_at", "host", "pid",
                 "last_step", "goals", "summary", "notes", "chosen")  # fmt: skip
if tuple(f.name for f in dataclasses.fields(RunRecord)) != _RECORD_ORDER:
    raise ImportError("store/sql.py builds RunRecord positionally: update _run_record's order")


def _run_record(row: Sequence[Any]) -> RunRecord:
    """A row of _RUN_COLS as a RunRecord (unpacked positionally: attribute access on rows
    costs ~20x more at 10,000 runs)."""
    (rid, project, name, model, status, archived, config, tags, total_steps, created_at,
     finished_at, heartbeat_at, host, pid, last_step, goals, notes, chosen) = row  # fmt: skip
    loads = orjson.loads
    return RunRecord(  # positional, in RunRecord's field order (no keyword dict per run)
        rid, project, name, model, status, bool(archived),
        loads(config) if config else {}, loads(tags) if tags else [],
        total_steps, created_at, finished_at, heartbeat_at, host, pid, last_step,
        loads(goals) if goals else {}, {}, notes, bool(chosen),
    )  # fmt: skip


def _check_status(status: Any) -> None:
    if status not in STATUSES:
        raise UsageError(f"status must be one of {', '.join(STATUSES)}, got {status!r}")


def _f64_blob(values: Sequence[float]) -> bytes:
    return np.asarray(values, dtype="<f8").tobytes()


def _f64_list(blob: bytes) -> list[float]:
    return [float(v) for v in np.frombuffer(blob, dtype="<f8")]


def _chunk_row(s: Int64s, t: Int64s, v: Float64s) -> dict[str, Any]:
    """The columns of one chunk row (all but its run, key and seq)."""
    mm = _finite_minmax(v)
    return {
        "n": int(s.shape[0]),
        "step_min": int(s.min()),
        "step_max": int(s.max()),
        "time_min": int(t.min()) / 1e6,
        "time_max": int(t.max()) / 1e6,
        "value_min": None if mm is None else float(v[mm[0]]),
        "value_max": None if mm is None else float(v[mm[1]]),
        "data": codec.encode(s, t, v),
    }


def _fetch_all(conn: Connection, stmt: sa.Select[Any], **cursor_args: Any) -> list[tuple[Any, ...]]:
    """Rows of a plain SELECT as DBAPI tuples, skipping SQLAlchemy's per-row Result layer
    (half the time of listing 10,000 runs). Only for statements whose columns need no
    result processing (text, numbers, blobs; booleans are bool()ed by the caller).
    `cursor_args` go to the DBAPI cursor (psycopg's binary=True)."""
    compiled = stmt.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    params = compiled.construct_params()
    args: Any = (
        tuple(params[k] for k in compiled.positiontup or ()) if compiled.positional else params
    )
    cursor = conn.connection.cursor(**cursor_args)
    try:
        cursor.execute(compiled.string, args)
        return list(cursor.fetchall())
    finally:
        cursor.close()


_ENGINES: weakref.WeakSet[Engine] = weakref.WeakSet()


def _forget_pools_after_fork() -> None:
    """A forked child (a DataLoader worker, a multiprocessing pool) must not reuse or close
    the parent's database connections: drop them and let the child open its own."""
    for engine in list(_ENGINES):
        engine.dispose(close=False)


os.register_at_fork(after_in_child=_forget_pools_after_fork)


class _WritePlan:
    """Rows one write_points sends in a few executemany calls (fast for many small keys)."""

    def __init__(self) -> None:
        self.chunk_updates: list[dict[str, Any]] = []
        self.chunk_deletes: list[dict[str, Any]] = []
        self.chunk_inserts: list[dict[str, Any]] = []
        self.summary_inserts: list[dict[str, Any]] = []
        self.summary_updates: list[dict[str, Any]] = []

    def flush_chunks(self, conn: Connection) -> None:
        for stmt, rows in (
            (_UPDATE_CHUNK, self.chunk_updates),
            (_DELETE_CHUNK, self.chunk_deletes),
            (_INSERT_CHUNK, self.chunk_inserts),
        ):
            if rows:
                conn.execute(stmt, rows)
                rows.clear()

    def flush(self, conn: Connection) -> None:
        self.flush_chunks(conn)
        for stmt, rows in (
            (_INSERT_SUMMARY, self.summary_inserts),
            (_UPDATE_SUMMARY, self.summary_updates),
        ):
            if rows:
                conn.execute(stmt, rows)


# Statements built once: building SQLAlchemy expressions per call cost more than running them.
_BUMP_LAST_STEP = (
    sa.update(runs)
    .where(runs.c.id == sa.bindparam("b_id"))
    .values(
        last_step=sa.case(
            (runs.c.last_step.is_(None), sa.bindparam("top")),
            (runs.c.last_step < sa.bindparam("top"), sa.bindparam("top")),
            else_=runs.c.last_step,
        )
    )
)
_SUMMARIES_OF_KEYS = sa.select(summaries).where(
    summaries.c.run_id == sa.bindparam("b_run"),
    summaries.c.key.in_(sa.bindparam("b_keys", expanding=True)),
)
_TAIL_BLOB = sa.select(chunks_t.c.data).where(
    chunks_t.c.run_id == sa.bindparam("b_run"),
    chunks_t.c.key == sa.bindparam("b_key"),
    chunks_t.c.seq == sa.bindparam("b_seq"),
)
_UPDATE_CHUNK = sa.update(chunks_t).where(
    chunks_t.c.run_id == sa.bindparam("b_run"),
    chunks_t.c.key == sa.bindparam("b_key"),
    chunks_t.c.seq == sa.bindparam("b_seq"),
)
_UPDATE_SUMMARY = sa.update(summaries).where(
    summaries.c.run_id == sa.bindparam("b_run"), summaries.c.key == sa.bindparam("b_key")
)
_CHUNK_N = sa.select(chunks_t.c.n).where(
    chunks_t.c.run_id == sa.bindparam("b_run"),
    chunks_t.c.key == sa.bindparam("b_key"),
    chunks_t.c.seq == sa.bindparam("b_seq"),
)
_DELETE_CHUNK = sa.delete(chunks_t).where(
    chunks_t.c.run_id == sa.bindparam("b_run"),
    chunks_t.c.key == sa.bindparam("b_key"),
    chunks_t.c.seq == sa.bindparam("b_seq"),
)
_INSERT_CHUNK = sa.insert(chunks_t)
_SUMMARY_KEYS = sa.select(summaries.c.key).distinct()
_INSERT_SUMMARY = sa.insert(summaries)


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
        deadline = time.monotonic() + RETRY_SECONDS
        delay = 0.005
        while True:
            try:
                with self.engine.connect() as conn:
                    self._before_write(conn)
                    with conn.begin():
                        return fn(conn)
            except DBAPIError as e:
                if not self._is_transient(e) or time.monotonic() > deadline:
                    if isinstance(e, IntegrityError):
                        raise
                    raise StoreError(f"store write failed ({self._safe_url()}): {e.orig}") from e
            time.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 2, 0.5)

    def _read(self, fn: Callable[[Connection], T]) -> T:
        """Run fn in one read transaction (a consistent snapshot), retrying transient errors."""
        deadline = time.monotonic() + RETRY_SECONDS
        delay = 0.005
        while True:
            try:
                with self.engine.connect() as conn, conn.begin():
                    return fn(conn)
            except DBAPIError as e:
                if not self._is_transient(e) or time.monotonic() > deadline:
                    raise StoreError(f"store read failed ({self._safe_url()}): {e.orig}") from e
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
        if not isinstance(run.id, str) or not 0 < len(run.id) <= 64:
            raise UsageError(f"create_run: run id must be a str of 1 to 64 chars, got {run.id!r}")
        limits.check_text("create_run: run id", run.id)
        _check_status(run.status)
        _check_run_fields("create_run", {f: getattr(run, f) for f in (*_TEXT_FIELDS, "tags")})
        _check_run_fields("create_run", {f: getattr(run, f) for f in _INT_FIELDS})
        if not run.created_at:
            run.created_at = time.time()
        row = {
            "id": run.id,
            "project": run.project,
            "name": run.name,
            "model": run.model,
            "status": run.status,
            "archived": bool(run.archived),
            "config": _dumps(run.config, "create_run: config"),
            "tags": _dumps(list(run.tags), "create_run: tags"),
            "total_steps": run.total_steps,
            "created_at": run.created_at,
            "finished_at": run.finished_at,
            "heartbeat_at": run.heartbeat_at,
            "host": run.host,
            "pid": run.pid,
            "last_step": run.last_step,
            "goals": _dumps(run.goals, "create_run: goals"),
            "notes": run.notes,
            "chosen": bool(run.chosen),
        }

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
            row = conn.execute(sa.select(*_RUN_COLS).where(runs.c.id == run_id)).first()
            if row is None:
                raise RunNotFoundError(run_id)
            rec = _run_record(row)
            q = sa.select(summaries.c.key, summaries.c.packed)
            rows = conn.execute(q.where(summaries.c.run_id == run_id)).all()
            records = _summary_records([r[1] for r in rows])
            rec.summary = {r[0]: m for r, m in zip(rows, records, strict=True)}
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
            _check_status(query.status)
            w.append(runs.c.status == query.status)
        if query.archived is not None:
            w.append(runs.c.archived == bool(query.archived))
        if query.tag is not None:
            pattern = "%" + _escape_like(orjson.dumps(query.tag).decode()) + "%"
            w.append(runs.c.tags.like(pattern, escape="\\"))
        if query.search:
            pattern = "%" + _escape_like(query.search.lower()) + "%"
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
        q = sa.select(*_RUN_COLS).where(*where).order_by(*self._order(query))
        if query.limit is not None:
            q = q.limit(query.limit)
        if query.offset:
            q = q.offset(query.offset)

        def tx(conn: Connection) -> list[RunRecord]:
            with gcpause.paused():
                return build(conn)

        def build(conn: Connection) -> list[RunRecord]:
            records = [_run_record(r) for r in _fetch_all(conn, q)]
            if not records:
                return records
            by_id = {r.id: r.summary for r in records}
            rows = self._summary_rows(conn, list(by_id))
            for (rid, key, _), m in zip(rows, _summary_records([r[2] for r in rows]), strict=True):
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
                return _fetch_all(conn, sa.select(*cols))
        rows: list[tuple[Any, ...]] = []
        for i in range(0, len(ids), 900):
            rows += _fetch_all(
                conn, sa.select(*cols).where(summaries.c.run_id.in_(ids[i : i + 900]))
            )
        return rows

    def group_leaders(
        self, query: RunQuery, models: Iterable[str | None]
    ) -> dict[str | None, GroupLeaders]:
        """The contract's GroupLeaders from a few aggregate queries (no run is listed): the
        loss keys, each group's extremes of them, its goals, then the runs at the extremes."""
        wanted = list(dict.fromkeys(models))
        if not wanted:
            return {}
        named = [m for m in wanted if m is not None]
        in_models = [runs.c.model.in_(named)] if named else []
        if None in wanted:
            in_models.append(runs.c.model.is_(None))
        where = [*self._where(query), sa.or_(*in_models)]

        def tx(conn: Connection) -> dict[str | None, GroupLeaders]:
            out: dict[str | None, GroupLeaders] = {}
            goals_q = sa.select(runs.c.model, runs.c.goals).where(*where, runs.c.goals != "{}")
            for model, goals in _fetch_all(conn, goals_q.order_by(*self._order(RunQuery()))):
                out.setdefault(model, GroupLeaders()).goals.update(orjson.loads(goals))
            defined: dict[str, str] = {}
            for g in out.values():
                defined.update(g.goals)
            keys = [k for k in conn.execute(_SUMMARY_KEYS).scalars() if can_decide(k, defined)]
            if not keys:
                return out
            joined = runs.join(
                summaries, sa.and_(summaries.c.run_id == runs.c.id, summaries.c.key.in_(keys))
            )
            agg = sa.select(
                runs.c.model, summaries.c.key, sa.func.min(summaries.c.min),
                sa.func.max(summaries.c.max),
            ).select_from(joined).where(*where).group_by(runs.c.model, summaries.c.key)  # fmt: skip
            extremes: dict[tuple[str | None, str], tuple[float | None, float | None]] = {}
            for model, key, lo, hi in _fetch_all(conn, agg):
                out.setdefault(model, GroupLeaders()).keys.add(key)
                extremes[(model, key)] = (lo, hi)
            self._add_leaders(conn, joined, where, extremes, out)
            return out

        return self._read(tx)

    def _add_leaders(
        self,
        conn: Connection,
        joined: sa.Join,
        where: list[sa.ColumnElement[bool]],
        extremes: dict[tuple[str | None, str], tuple[float | None, float | None]],
        out: dict[str | None, GroupLeaders],
    ) -> None:
        """Add to `out` the runs whose min or max of a key is their group's extreme."""
        los = sorted({lo for lo, _ in extremes.values() if lo is not None})
        his = sorted({hi for _, hi in extremes.values() if hi is not None})
        cols = (runs.c.id, runs.c.project, runs.c.name, runs.c.model, runs.c.created_at)
        base = sa.select(*cols, summaries.c.key, summaries.c.packed).select_from(joined)
        rows: list[tuple[Any, ...]] = []
        for i in range(0, max(len(los), len(his)), 400):
            at = sa.or_(
                summaries.c.min.in_(los[i : i + 400]), summaries.c.max.in_(his[i : i + 400])
            )
            rows += _fetch_all(conn, base.where(*where, at))
        picked: dict[tuple[str | None, str], RunRecord] = {}
        for (rid, project, name, model, created_at, key, _), m in zip(
            rows, _summary_records([r[6] for r in rows]), strict=True
        ):
            lo, hi = extremes.get((model, key), (None, None))
            if not (m.min == lo or m.max == hi):
                continue  # another group's extreme value
            lead = picked.get((model, rid))
            if lead is None:
                lead = RunRecord(rid, project, name, model=model, created_at=created_at)
                picked[(model, rid)] = lead
                out[model].leaders.append(lead)
            lead.summary[key] = m

    def count_runs(self, query: RunQuery | None = None) -> int:
        q = sa.select(sa.func.count()).select_from(runs).where(*self._where(query or RunQuery()))
        return self._read(lambda conn: int(conn.execute(q).scalar_one()))

    @staticmethod
    def _update_values(fields: dict[str, Any]) -> dict[str, Any]:
        """Run columns to set, checked and spelled for the database."""
        unknown = sorted(set(fields) - UPDATABLE)
        if unknown:
            allowed = ", ".join(sorted(UPDATABLE))
            raise UsageError(f"update_run: unknown field {unknown[0]!r} (allowed: {allowed})")
        if "status" in fields:
            _check_status(fields["status"])
            if fields["status"] == "running" and "finished_at" not in fields:
                # a run that comes back (resumed, or heartbeats after being marked crashed)
                # has not finished: a kept finished_at would freeze its duration
                fields = {**fields, "finished_at": None}
        _check_run_fields("update_run", fields)
        values = {
            k: (_dumps(v, f"update_run: {k}") if k in _JSON_FIELDS else v)
            for k, v in fields.items()
        }
        for flag in ("archived", "chosen"):
            if flag in values:
                values[flag] = bool(values[flag])
        return values

    def update_run(self, run_id: str, **fields: Any) -> None:
        limits.check_text("update_run: run id", run_id)
        values = self._update_values(fields)

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
        _check_status(expect_status)
        values = self._update_values(fields)

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
        prepared = {key: _Prepared(key, b) for key, b in batches.items()}
        prepared = {k: p for k, p in prepared.items() if p.steps.shape[0]}
        if not prepared:
            self._read(lambda conn: self._require_run(conn, run_id))
            return
        top = max(int(p.steps[-1]) for p in prepared.values())

        def tx(conn: Connection) -> None:
            if conn.execute(_BUMP_LAST_STEP, {"b_id": run_id, "top": top}).rowcount == 0:
                raise RunNotFoundError(run_id)
            params = {"b_run": run_id, "b_keys": list(prepared)}
            old = {r.key: r for r in conn.execute(_SUMMARIES_OF_KEYS, params)}
            plan = _WritePlan()
            for key, p in prepared.items():
                self._plan_append(conn, plan, run_id, key, p, old.get(key))
            plan.flush(conn)

        self._write(tx)

    def _plan_append(
        self,
        conn: Connection,
        plan: _WritePlan,
        run_id: str,
        key: str,
        p: _Prepared,
        old: Row[Any] | None,
    ) -> None:
        """Add to `plan` the chunk and summary rows that append p's points to the key.

        Chunks from `start` to the tail are decoded, joined with the new points and cut again
        into CHUNK_POINTS pieces. Where that starts is what keeps small appends cheap: a
        small write (the SDK's flush of a few points) rewrites only a small staging tail
        (< STAGE_POINTS points); once the tail has grown past that, it is folded into the
        chunk before it, so a big chunk is rewritten once per STAGE_POINTS points, not on
        every flush.
        """
        m = int(p.steps.shape[0])
        start, parts = 0, []  # first seq to (re)write, and the stored points it starts with
        if old is not None:
            tail_seq, tail_n = int(old.tail_seq), int(old.tail_n)
            start = tail_seq + 1
            if tail_n < CHUNK_POINTS and (m >= STAGE_POINTS or tail_n < STAGE_POINTS):
                start = tail_seq
            elif tail_n < CHUNK_POINTS and tail_seq > 0:
                prev_n = conn.execute(_CHUNK_N, self._at(run_id, key, tail_seq - 1)).scalar_one()
                if int(prev_n) < CHUNK_POINTS:
                    start = tail_seq - 1
            for seq in range(start, tail_seq + 1):
                blob = conn.execute(_TAIL_BLOB, self._at(run_id, key, seq)).scalar_one()
                parts.append(codec.decode_us(blob))
        parts.append((p.steps, p.times_us, p.values))
        steps, times_us, values = (np.concatenate([part[i] for part in parts]) for i in range(3))
        old_tail = -1 if old is None else int(old.tail_seq)
        seq = start
        for i in range(0, steps.shape[0], CHUNK_POINTS):
            cut = slice(i, i + CHUNK_POINTS)
            row = _chunk_row(steps[cut], times_us[cut], values[cut])
            if seq <= old_tail:
                plan.chunk_updates.append({**self._at(run_id, key, seq), **row})
            else:
                plan.chunk_inserts.append({"run_id": run_id, "key": key, "seq": seq, **row})
            seq += 1
        plan.chunk_deletes.extend(self._at(run_id, key, q) for q in range(seq, old_tail + 1))
        tail = {"tail_seq": seq - 1, "tail_n": steps.shape[0] - (seq - 1 - start) * CHUNK_POINTS}
        if old is None:
            summ = _summary_of(p.steps, p.times_us, p.values)
            summ["packed"] = _packed(summ)
            plan.summary_inserts.append({"run_id": run_id, "key": key, **summ, **tail})
            return
        if int(p.steps[0]) > int(old.last_step):
            summ = _merge_summary(old, _summary_of(p.steps, p.times_us, p.values))
        else:  # re-logged steps (a resumed run): recompute from the whole series
            plan.flush_chunks(conn)
            summ = _summary_of(*self._load(conn, run_id, key, None))
        summ["packed"] = _packed(summ)
        plan.summary_updates.append({"b_run": run_id, "b_key": key, **summ, **tail})

    @staticmethod
    def _at(run_id: str, key: str, seq: int) -> dict[str, Any]:
        return {"b_run": run_id, "b_key": key, "b_seq": seq}

    def _load(
        self,
        conn: Connection,
        run_id: str,
        key: str,
        since: int | None,
        start: int | None = None,
        end: int | None = None,
    ) -> tuple[Int64s, Int64s, Float64s]:
        """A key's points in step order, one per step (later writes win), optionally > since
        and within [start, end]. Only chunks whose step range overlaps are read: every write
        of a step in range lies in such a chunk, so "later writes win" still holds."""
        q = sa.select(chunks_t.c.n, chunks_t.c.data).where(
            chunks_t.c.run_id == run_id, chunks_t.c.key == key
        )
        if since is not None:
            q = q.where(chunks_t.c.step_max > since)
        if start is not None:
            q = q.where(chunks_t.c.step_max >= start)
        if end is not None:
            q = q.where(chunks_t.c.step_min <= end)
        rows = _fetch_all(conn, q.order_by(chunks_t.c.seq), **self._blob_cursor_args)
        total = sum(int(r[0]) for r in rows)
        steps = np.empty(total, dtype=np.int64)
        times_us = np.empty(total, dtype=np.int64)
        values = np.empty(total, dtype=np.float64)
        at = 0
        for n, blob in rows:
            to = at + int(n)
            codec.decode_into(blob, steps[at:to], times_us[at:to], values[at:to])
            at = to
        order = downsample.step_order(steps)
        if order is not None:
            steps, times_us, values = steps[order], times_us[order], values[order]
        if since is not None and steps.shape[0] and int(steps[0]) <= since:
            cut = int(np.searchsorted(steps, since, side="right"))
            steps, times_us, values = steps[cut:], times_us[cut:], values[cut:]
        if (start is not None or end is not None) and steps.shape[0]:
            lo = 0 if start is None else int(np.searchsorted(steps, start, side="left"))
            hi = steps.shape[0] if end is None else int(np.searchsorted(steps, end, side="right"))
            steps, times_us, values = steps[lo:hi], times_us[lo:hi], values[lo:hi]
        return steps, times_us, values

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

        def tx(conn: Connection) -> tuple[int, tuple[Int64s, Int64s, Float64s]]:
            total = conn.execute(
                sa.select(summaries.c.count).where(
                    summaries.c.run_id == run_id, summaries.c.key == key
                )
            ).scalar_one_or_none()
            if total is None:
                self._require_run(conn, run_id)
                total = 0
            return int(total), self._load(conn, run_id, key, q.since, q.start, q.end)

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
        values = [
            {
                "run_id": run_id,
                "key": limits.check_key("write_texts: key", r.key),
                "step": limits.check_int(f"write_texts: {r.key!r} step", r.step),
                "wall_time": float(r.wall_time),
                "text": limits.check_text(f"write_texts: {r.key!r} text", r.text),
            }
            for r in rows
        ]

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
        values = []
        for r in rows:
            if len(r.edges) != len(r.counts) + 1:
                raise UsageError(
                    f"histogram {r.key!r} at step {r.step}: edges needs len(counts) + 1 = "
                    f"{len(r.counts) + 1} entries, got {len(r.edges)}"
                )
            values.append(
                {
                    "run_id": run_id,
                    "key": limits.check_key("write_histograms: key", r.key),
                    "step": limits.check_int(f"write_histograms: {r.key!r} step", r.step),
                    "wall_time": float(r.wall_time),
                    "edges": _f64_blob(r.edges),
                    "counts": _f64_blob(r.counts),
                    "min": _f(float(r.min)),
                    "max": _f(float(r.max)),
                    "count": int(r.count),
                    "sum": _f(float(r.sum)),
                }
            )

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
            return [
                HistogramRecord(
                    key=r.key,
                    step=int(r.step),
                    wall_time=float(r.wall_time),
                    edges=_f64_list(r.edges),
                    counts=_f64_list(r.counts),
                    min=_nan(r.min),
                    max=_nan(r.max),
                    count=int(r._mapping["count"]),
                    sum=_nan(r.sum),
                )
                for r in conn.execute(q)
            ]

        return self._read(tx)

    def add_artifact(self, run_id: str, artifact: ArtifactRecord) -> ArtifactRecord:
        limits.check_text("add_artifact: run id", run_id)
        step = artifact.step
        row = {
            "run_id": run_id,
            "name": limits.check_text("add_artifact: name", artifact.name),
            "kind": limits.check_key("add_artifact: kind", artifact.kind),
            "step": None if step is None else limits.check_int("add_artifact: step", step),
            "path": limits.check_text("add_artifact: path", artifact.path),
            "size": int(artifact.size),
            "wall_time": float(artifact.wall_time),
        }

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
            return [
                ArtifactRecord(
                    name=r.name,
                    kind=r.kind,
                    step=r.step,
                    path=r.path,
                    size=int(r.size),
                    wall_time=float(r.wall_time),
                    id=int(r.id),
                )
                for r in conn.execute(q)
            ]

        return self._read(tx)

    # run values and events ------------------------------------------------------------
    def write_run_values(self, run_id: str, namespace: str, values: dict[str, Any]) -> None:
        check_namespace(namespace)
        keys = list(values)
        rows = [
            {"run_id": run_id, "namespace": namespace, "key": k, "value": _dumps(spell_all(v))}
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
            if rows:
                conn.execute(sa.insert(t), rows)

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
