"""The remote wire protocol, in one place: how RemoteStore encodes each write as an op
(`encode`), how the ingest route checks it (`ops`, `points`) and applies it (`apply_op`).

A batch is `{"client": ID, "seq": N, "ops": [...]}` (op i has sequence number N + i). Ops:

    {"op": "create_run", "run": {RunRecord fields but summary}}
    {"op": "update_run", "run": ID, "fields": {field: value}}      fields: WIRE_UPDATABLE
    {"op": "points", "run": ID, "packed": {key: {"steps": B64, "times": B64, "values": B64}}}
    {"op": "texts", "run": ID, "rows": [{key, step, wall_time, text}]}
    {"op": "histograms", "run": ID, "rows": [{key, step, wall_time, edges, counts, min, max,
                                             count, sum}]}
    {"op": "artifact", "run": ID, "artifact": {name, kind, step, path, size, wall_time, id}}
    {"op": "run_values", "run": ID, "namespace": "summary"|"import", "values": {key: JSON}}
    {"op": "events", "run": ID, "rows": [{kind, title, text, level, wall_time, step, id}]}
    {"op": "media", "run": ID, "items": [...], "blobs": {digest: {mime, data}}}  (wire/media.py)

Points travel packed: each column is the base64 of its little-endian int64 (steps) or float64
(times, values) bytes, so NaN and ±inf are bit-exact and neither side prints or parses a number
(encode.points_op says why that matters). Two JSON forms are still read: `"columns": {key:
{"steps": [...], "times": [...], "values": [...]}}` with NaN/±inf spelled "NaN", "Infinity",
"-Infinity" (trainboard.jsonvalues), for hand-written clients and the spools of the previous
release, and the row form `"batches": {key: [[step, time, value], ...]}` of earlier ones.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from trainboard.errors import RunNotFoundError
from trainboard.jsonvalues import SPELLINGS, parse
from trainboard.store.base import Store
from trainboard.store.records import (
    ArtifactRecord,
    EventRecord,
    PointBatch,
    RunRecord,
    TextRecord,
)
from trainboard.store.remote.wire.encode import (
    RUN_FIELDS,
    artifact_op,
    create_run_op,
    events_op,
    histograms_op,
    points_op,
    run_values_op,
    texts_op,
    update_run_op,
)
from trainboard.store.remote.wire.media import MediaOp, media_op
from trainboard.store.remote.wire.ops import (
    WIRE_UPDATABLE,
    AnyOp,
    CreateRunOp,
    EventsOp,
    HistogramsOp,
    PointsOp,
    RunIn,
    RunValuesOp,
    TextsOp,
    UpdateRunOp,
    parse_op,
)

POINT_FORMS = ["packed", "columns", "batches"]
"""The forms of the points op this code reads, newest first; a server lists them at
GET /ingest/identity, and a client sends `packed` only where it is listed (an older server
reads `columns`), so a client upgraded before its server still gets its points in."""

API = "/api/v1"
"""Where the JSON API lives on a trainboard server (the server mounts it there, RemoteStore
calls it there)."""

__all__ = [
    "API",
    "POINT_FORMS",
    "RUN_FIELDS",
    "WIRE_UPDATABLE",
    "AnyOp",
    "RunIn",
    "apply_op",
    "apply_parsed",
    "op_run_id",
    "artifact_op",
    "create_run_op",
    "events_op",
    "histograms_op",
    "media_op",
    "PointsOp",
    "parse_op",
    "points_op",
    "read_number",
    "run_values_op",
    "texts_op",
    "update_run_op",
]


def apply_op(store: Store, raw: Any) -> None:
    """Check one op and apply it to the store; a malformed op raises UsageError."""
    apply_parsed(store, parse_op(raw))


def op_run_id(op: AnyOp) -> str:
    """The id of the run an op writes to."""
    return op.run.id if isinstance(op, CreateRunOp) else op.run


def apply_parsed(store: Store, op: AnyOp) -> None:
    """Apply an op parse_op checked."""
    if isinstance(op, CreateRunOp):
        run = RunRecord(**op.run.model_dump())
        try:
            store.get_run(run.id)
        except RunNotFoundError:
            store.create_run(run)
        # else: a retried create_run; the run exists already
    elif isinstance(op, UpdateRunOp):
        store.update_run(op.run, **op.fields)
    elif isinstance(op, PointsOp):
        store.write_points(op.run, op.point_batches())
    elif isinstance(op, TextsOp):
        store.write_texts(op.run, [TextRecord(**r.model_dump()) for r in op.rows])
    elif isinstance(op, HistogramsOp):
        store.write_histograms(op.run, [r.record() for r in op.rows])
    elif isinstance(op, RunValuesOp):
        store.write_run_values(op.run, op.namespace, op.values)
    elif isinstance(op, MediaOp):
        store.write_media(op.run, op.records(), op.blob_map())
    elif isinstance(op, EventsOp):
        store.add_events(op.run, [EventRecord(**e.model_dump()) for e in op.rows])
    else:
        store.add_artifact(op.run, ArtifactRecord(**op.artifact.model_dump()))


def merge_points(ops: list[dict[str, PointBatch]]) -> dict[str, PointBatch]:
    """The points of several ops of one run as one write: each key's points joined in op
    order. A store keeps the last write of each step, so writing this is writing the ops one
    after another."""
    if len(ops) == 1:
        return ops[0]
    parts: dict[str, list[PointBatch]] = {}
    for batches in ops:
        for key, b in batches.items():
            parts.setdefault(key, []).append(b)
    return {
        key: bs[0]
        if len(bs) == 1
        else PointBatch(
            np.concatenate([b.steps for b in bs]),
            np.concatenate([b.times for b in bs]),
            np.concatenate([b.values for b in bs]),
        )
        for key, bs in parts.items()
    }


def read_number(v: Any) -> float:
    """A number from a JSON answer: a float, a NaN/Infinity spelling, or null (NaN)."""
    if isinstance(v, str) and v in SPELLINGS:
        return parse(v)
    return math.nan if v is None else float(v)
