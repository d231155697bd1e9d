"""Records <-> rows: how the store's dataclasses are spelled as SQL rows, for both engines.

Why a module of its own: every read and write of SQLStore converts the same way, and the
conversions carry the rules no engine may break (store/checks.py's checks, shared with the
remote store; NaN as NULL in float columns, JSON text for config, tags and goals) and the fast
paths that listing 10,000 runs needs (RunRecords built positionally, summaries unpacked in
bulk from `packed`).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from trainboard import limits
from trainboard.store.checks import check_histogram, check_new_run
from trainboard.store.records import (
    ArtifactRecord,
    HistogramRecord,
    MetricSummary,
    RunRecord,
    TextRecord,
)
from trainboard.store.sql.schema import runs


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


def run_row(run: RunRecord) -> dict[str, Any]:
    """The runs row of a new run, every field checked (fills created_at when unset)."""
    json_text = check_new_run(run)
    return {
        "id": run.id,
        "project": run.project,
        "name": run.name,
        "model": run.model,
        "status": run.status,
        "archived": bool(run.archived),
        "config": json_text["config"],
        "tags": json_text["tags"],
        "total_steps": run.total_steps,
        "created_at": run.created_at,
        "finished_at": run.finished_at,
        "heartbeat_at": run.heartbeat_at,
        "host": run.host,
        "pid": run.pid,
        "last_step": run.last_step,
        "goals": json_text["goals"],
        "notes": run.notes,
        "chosen": bool(run.chosen),
    }


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
    key, step = check_histogram(r)
    return {
        "run_id": run_id,
        "key": key,
        "step": step,
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
