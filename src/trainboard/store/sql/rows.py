"""Records <-> rows: how the store's dataclasses are spelled as SQL rows, for both engines.

Why a module of its own: every read and write of SQLStore converts the same way, and the
conversions carry the rules no engine may break (limits.py's checks, NaN as NULL in
float columns, JSON text for config, tags and goals) and the fast paths that listing 10,000
runs needs (RunRecords built positionally, summaries unpacked in bulk from `packed`).
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from trainboard import limits
from trainboard.errors import UsageError
from trainboard.store.records import (
    STATUSES,
    UPDATABLE,
    ArtifactRecord,
    HistogramRecord,
    MetricSummary,
    RunRecord,
    TextRecord,
)
from trainboard.store.sql.schema import runs

JSON_FIELDS = frozenset({"config", "tags", "goals"})


def dumps_json(v: Any, field: str = "value") -> str:
    """JSON text for config/tags/goals. orjson writes NaN/inf as null (documented)."""
    try:
        return orjson.dumps(v, option=orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS).decode()
    except (orjson.JSONEncodeError, TypeError) as e:
        raise UsageError(f"{field} cannot be stored as JSON: {e}") from None


TEXT_FIELDS = frozenset({"project", "name", "model", "host", "notes"})


INT_FIELDS = {"total_steps": 64, "pid": 32, "last_step": 64}


def check_run_fields(where: str, fields: dict[str, Any]) -> None:
    """Refuse run column values no engine can store (see limits.py)."""
    for k, v in fields.items():
        if v is None:
            continue
        if k == "project":
            limits.check_key(f"{where}: project", v)
        elif k in TEXT_FIELDS:
            limits.check_text(f"{where}: {k}", v)
        elif k in INT_FIELDS:
            limits.check_int(f"{where}: {k}", v, bits=INT_FIELDS[k])
        elif k == "tags":
            for t in v if isinstance(v, list | tuple) else [v]:
                limits.check_text(f"{where}: tag", t)


def nan_to_null(x: float) -> float | None:
    """NaN -> NULL (SQLite cannot store NaN; PostgreSQL follows the same rule for symmetry)."""
    return None if x != x else float(x)


def null_to_nan(x: float | None) -> float:
    return float("nan") if x is None else float(x)


def escape_like(s: str) -> str:
    return s.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


PACKED = np.dtype(
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


def packed(summ: dict[str, Any]) -> bytes:
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
        dtype=PACKED,
    )
    return rec.tobytes()


def summary_records(blobs: Sequence[bytes]) -> list[MetricSummary]:
    """MetricSummary objects from summaries.packed values, unpacked in bulk by numpy."""
    if not blobs:
        return []
    arr = np.frombuffer(b"".join(blobs), dtype=PACKED)
    cols = [arr[name].tolist() for name in PACKED.names or ()]
    return list(map(MetricSummary, *cols))  # one call per summary, no tuple in between


RUN_COLS = (
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


RECORD_ORDER = ("id", "project", "name", "model", "status", "archived", "config", "tags",
                 "total_steps", "created_at", "finished_at", "heartbeat_at", "host", "pid",
                 "last_step", "goals", "summary", "notes", "chosen")  # fmt: skip


if tuple(f.name for f in dataclasses.fields(RunRecord)) != RECORD_ORDER:
    raise ImportError("store/sql/store.py builds RunRecord positionally: update run_record's order")


def run_record(row: Sequence[Any]) -> RunRecord:
    """A row of RUN_COLS as a RunRecord (unpacked positionally: attribute access on rows
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


def check_status(status: Any) -> None:
    if status not in STATUSES:
        raise UsageError(f"status must be one of {', '.join(STATUSES)}, got {status!r}")


def f64_blob(values: Sequence[float]) -> bytes:
    return np.asarray(values, dtype="<f8").tobytes()


def f64_list(blob: bytes) -> list[float]:
    return [float(v) for v in np.frombuffer(blob, dtype="<f8")]


def fetch_all(conn: Connection, stmt: sa.Select[Any], **cursor_args: Any) -> list[tuple[Any, ...]]:
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


def update_values(fields: dict[str, Any]) -> dict[str, Any]:
    """Run columns to set, checked and spelled for the database."""
    unknown = sorted(set(fields) - UPDATABLE)
    if unknown:
        allowed = ", ".join(sorted(UPDATABLE))
        raise UsageError(f"update_run: unknown field {unknown[0]!r} (allowed: {allowed})")
    if "status" in fields:
        check_status(fields["status"])
        if fields["status"] == "running" and "finished_at" not in fields:
            # a run that comes back (resumed, or heartbeats after being marked crashed)
            # has not finished: a kept finished_at would freeze its duration
            fields = {**fields, "finished_at": None}
    check_run_fields("update_run", fields)
    values = {
        k: (dumps_json(v, f"update_run: {k}") if k in JSON_FIELDS else v) for k, v in fields.items()
    }
    for flag in ("archived", "chosen"):
        if flag in values:
            values[flag] = bool(values[flag])
    return values


def run_row(run: RunRecord) -> dict[str, Any]:
    """The runs row of a new run, every field checked (fills created_at when unset)."""
    if not isinstance(run.id, str) or not 0 < len(run.id) <= 64:
        raise UsageError(f"create_run: run id must be a str of 1 to 64 chars, got {run.id!r}")
    limits.check_text("create_run: run id", run.id)
    check_status(run.status)
    check_run_fields("create_run", {f: getattr(run, f) for f in (*TEXT_FIELDS, "tags")})
    check_run_fields("create_run", {f: getattr(run, f) for f in INT_FIELDS})
    if not run.created_at:
        run.created_at = time.time()
    row = {
        "id": run.id,
        "project": run.project,
        "name": run.name,
        "model": run.model,
        "status": run.status,
        "archived": bool(run.archived),
        "config": dumps_json(run.config, "create_run: config"),
        "tags": dumps_json(list(run.tags), "create_run: tags"),
        "total_steps": run.total_steps,
        "created_at": run.created_at,
        "finished_at": run.finished_at,
        "heartbeat_at": run.heartbeat_at,
        "host": run.host,
        "pid": run.pid,
        "last_step": run.last_step,
        "goals": dumps_json(run.goals, "create_run: goals"),
        "notes": run.notes,
        "chosen": bool(run.chosen),
    }
    return row


def text_row(run_id: str, r: TextRecord) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "key": limits.check_key("write_texts: key", r.key),
        "step": limits.check_int(f"write_texts: {r.key!r} step", r.step),
        "wall_time": float(r.wall_time),
        "text": limits.check_text(f"write_texts: {r.key!r} text", r.text),
    }


def histogram_row(run_id: str, r: HistogramRecord) -> dict[str, Any]:
    """A histograms row; edges and counts as float64 blobs, NaN statistics as NULL."""
    if len(r.edges) != len(r.counts) + 1:
        raise UsageError(
            f"histogram {r.key!r} at step {r.step}: edges needs len(counts) + 1 = "
            f"{len(r.counts) + 1} entries, got {len(r.edges)}"
        )
    return {
        "run_id": run_id,
        "key": limits.check_key("write_histograms: key", r.key),
        "step": limits.check_int(f"write_histograms: {r.key!r} step", r.step),
        "wall_time": float(r.wall_time),
        "edges": f64_blob(r.edges),
        "counts": f64_blob(r.counts),
        "min": nan_to_null(float(r.min)),
        "max": nan_to_null(float(r.max)),
        "count": int(r.count),
        "sum": nan_to_null(float(r.sum)),
    }


def histogram_record(r: Row[Any]) -> HistogramRecord:
    return HistogramRecord(
        key=r.key,
        step=int(r.step),
        wall_time=float(r.wall_time),
        edges=f64_list(r.edges),
        counts=f64_list(r.counts),
        min=null_to_nan(r.min),
        max=null_to_nan(r.max),
        count=int(r._mapping["count"]),
        sum=null_to_nan(r.sum),
    )


def artifact_row(run_id: str, artifact: ArtifactRecord) -> dict[str, Any]:
    step = artifact.step
    return {
        "run_id": run_id,
        "name": limits.check_text("add_artifact: name", artifact.name),
        "kind": limits.check_key("add_artifact: kind", artifact.kind),
        "step": None if step is None else limits.check_int("add_artifact: step", step),
        "path": limits.check_text("add_artifact: path", artifact.path),
        "size": int(artifact.size),
        "wall_time": float(artifact.wall_time),
    }


def artifact_record(r: Row[Any]) -> ArtifactRecord:
    return ArtifactRecord(
        name=r.name,
        kind=r.kind,
        step=r.step,
        path=r.path,
        size=int(r.size),
        wall_time=float(r.wall_time),
        id=int(r.id),
    )
