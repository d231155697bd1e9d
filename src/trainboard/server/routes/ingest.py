"""Ingest: the remote SDK's writes (store/remote.py) arrive here as batches of ops.

A batch is `{"client": ID, "seq": N, "ops": [...]}`: op i has sequence number N + i, and each
client sends its ops in order. The server remembers the last sequence number it applied per
client and skips ops at or below it, so a retry after a timeout (the server applied the batch
but the answer was lost) does not apply them twice. Points are idempotent on their own as well
(the store keeps one point per step, the later write wins), which covers a retry that reaches a
restarted server.

Op shapes are in docs/api.md; NaN and ±inf travel as "NaN", "Infinity", "-Infinity".
"""

from __future__ import annotations

import dataclasses
import threading
from typing import Any

import numpy as np
import orjson
from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel

from trainboard.errors import RunNotFoundError, TrainboardError, UsageError
from trainboard.jsonvalues import parse as parse_num
from trainboard.server.deps import api_router
from trainboard.server.jsonio import json_response
from trainboard.store.base import (
    ArtifactRecord,
    HistogramRecord,
    PointBatch,
    RunRecord,
    Store,
    TextRecord,
)

ingest_router = api_router(tags=["ingest"])


class IngestIn(BaseModel):
    client: str
    seq: int
    ops: list[dict[str, Any]]


class IngestErrorOut(BaseModel):
    seq: int
    code: str
    message: str


class IngestOut(BaseModel):
    applied: int
    skipped: int
    last_seq: int
    errors: list[IngestErrorOut]


_RUN_FIELDS = {f.name for f in dataclasses.fields(RunRecord)} - {"summary"}
_UPDATABLE = {
    "status", "finished_at", "heartbeat_at", "total_steps", "config", "goals", "notes",
    "pid", "host", "name", "tags", "last_step",
}  # fmt: skip


def _points(rows: list[Any]) -> PointBatch:
    try:
        arr = np.array(rows, dtype=np.float64).reshape(-1, 3)
    except (TypeError, ValueError):  # "NaN"/"Infinity" strings among the values
        arr = np.array([[r[0], r[1], parse_num(r[2])] for r in rows], dtype=np.float64)
        arr = arr.reshape(-1, 3)
    return PointBatch(arr[:, 0].astype(np.int64), arr[:, 1].copy(), arr[:, 2].copy())


def _histogram(row: dict[str, Any]) -> HistogramRecord:
    fixed = dict(row)
    for k in ("min", "max", "sum"):
        fixed[k] = parse_num(row[k])
    fixed["edges"] = [parse_num(v) for v in row["edges"]]
    return HistogramRecord(**fixed)


def _create_run(store: Store, fields: dict[str, Any]) -> None:
    unknown = set(fields) - _RUN_FIELDS - {"summary"}
    if unknown:
        raise UsageError(f"create_run: unknown run field(s) {sorted(unknown)}")
    run = RunRecord(**{k: v for k, v in fields.items() if k in _RUN_FIELDS})
    try:
        store.get_run(run.id)
    except RunNotFoundError:
        store.create_run(run)
    # else: a retried create_run; the run exists already


def apply_op(store: Store, op: dict[str, Any]) -> None:
    """Apply one op to the store; malformed ops raise UsageError naming what was wrong."""
    kind = op.get("op")
    try:
        if kind == "create_run":
            _create_run(store, op["run"])
        elif kind == "update_run":
            fields = op["fields"]
            bad = set(fields) - _UPDATABLE
            if bad:
                raise UsageError(f"update_run: field(s) {sorted(bad)} cannot be set")
            store.update_run(op["run"], **fields)
        elif kind == "points":
            batches = {k: _points(rows) for k, rows in op["batches"].items()}
            store.write_points(op["run"], batches)
        elif kind == "texts":
            store.write_texts(op["run"], [TextRecord(**r) for r in op["rows"]])
        elif kind == "histograms":
            store.write_histograms(op["run"], [_histogram(r) for r in op["rows"]])
        elif kind == "artifact":
            store.add_artifact(op["run"], ArtifactRecord(**op["artifact"]))
        else:
            raise UsageError(
                f"unknown op {kind!r}; expected create_run, update_run, points, texts, "
                "histograms or artifact"
            )
    except KeyError as e:
        if isinstance(e, TrainboardError):
            raise
        raise UsageError(f"op {kind!r} is missing the field {e.args[0]!r}") from None
    except (TypeError, ValueError) as e:
        if isinstance(e, TrainboardError):
            raise
        raise UsageError(f"op {kind!r} is malformed: {e}") from None


class IngestLog:
    """The last sequence number applied per client (see the module docstring)."""

    def __init__(self) -> None:
        self._last: dict[str, int] = {}
        self._lock = threading.Lock()

    def apply(self, store: Store, body: IngestIn) -> dict[str, Any]:
        applied = skipped = 0
        errors: list[dict[str, Any]] = []
        with self._lock:  # one batch at a time keeps each client's ops in order
            last = self._last.get(body.client, -1)
            for i, op in enumerate(body.ops):
                seq = body.seq + i
                if seq <= last:
                    skipped += 1
                    continue
                try:
                    apply_op(store, op)
                except (UsageError, RunNotFoundError) as e:  # permanent: report, move on
                    errors.append({"seq": seq, "code": e.code, "message": e.message})
                last = self._last[body.client] = seq  # transient errors raise before this
                applied += 1
        return {"applied": applied, "skipped": skipped, "last_seq": last, "errors": errors}


@ingest_router.post(
    "/ingest",
    response_class=Response,
    responses={200: {"model": IngestOut}},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": IngestIn.model_json_schema()}},
        }
    },
)
async def ingest(request: Request) -> Response:
    """Apply a batch of the remote SDK's ops, in order, skipping ones already applied."""
    try:
        raw = orjson.loads(await request.body())
        body = IngestIn.model_validate(raw)
    except (orjson.JSONDecodeError, ValueError) as e:
        raise UsageError(f"ingest body must be {{client, seq, ops: [...]}} as JSON: {e}") from None
    store: Store = request.app.state.store
    result = await run_in_threadpool(request.app.state.ingest_log.apply, store, body)
    return json_response(result)
