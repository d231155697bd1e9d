"""Ingest: the remote SDK's writes (store/remote/store.py) arrive here as batches of ops.

A batch is `{"client": ID, "seq": N, "ops": [...]}`: op i has sequence number N + i, and each
client sends its ops in order. The server remembers the last sequence number it applied per
client and skips ops at or below it, so a retry after a timeout (the server applied the batch
but the answer was lost) does not apply them twice. Points are idempotent on their own as well
(the store keeps one point per step, the later write wins), which covers a retry that reaches a
restarted server.

Op shapes, their checks and how each is applied live in store/remote/wire/ (shared with the
client, RemoteStore). A malformed op is refused on its own (reported in `errors`), the rest of
the batch is applied. Only `application/json` bodies are read (415 otherwise): a cross-site
`no-cors` POST can only send text/plain, form or multipart bodies.
"""

from __future__ import annotations

import hashlib
import threading
from typing import Any

import orjson
from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from trainboard.errors import ForbiddenError, RunNotFoundError, UsageError
from trainboard.server.alerting import ServerAlerts
from trainboard.server.deps import api_router, who_sent
from trainboard.server.jsonio import json_response
from trainboard.server.ownership import Owners, Who
from trainboard.store.base import Store
from trainboard.store.records import EventRecord
from trainboard.store.remote.wire import (
    POINT_FORMS,
    PointsOp,
    apply_parsed,
    merge_points,
    op_run_id,
    parse_op,
)
from trainboard.store.remote.wire.ops import EventsOp

ingest_router = api_router(tags=["ingest"])


class IngestIn(BaseModel):
    client: str
    seq: int
    ops: list[Any]  # each op is checked on its own (store/remote/wire/)


class IdentityOut(BaseModel):
    id: str
    points: list[str] = Field(
        description="The forms of the points op this server reads (store/wire): a client "
        "sends `packed` only to a server that lists it"
    )


class IngestErrorOut(BaseModel):
    seq: int
    code: str
    message: str


class IngestOut(BaseModel):
    applied: int
    skipped: int
    last_seq: int
    errors: list[IngestErrorOut]


class IngestLog:
    """The last sequence number applied per client (see the module docstring).

    One lock per client: a client's batches are applied one at a time and in order, while
    different clients write at once (each store write is its own transaction, so a
    PostgreSQL server takes eight clients' batches in parallel instead of queueing them)."""

    def __init__(self, alerts: ServerAlerts | None = None) -> None:
        self._alerts = alerts  # hands on the alerts that clients record (server/alerting.py)
        self._last: dict[str, int] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def _lock(self, client: str) -> threading.Lock:
        with self._guard:
            lock = self._locks.get(client)
            if lock is None:
                lock = self._locks[client] = threading.Lock()
            return lock

    def apply(
        self, store: Store, body: IngestIn, who: Who, owners: Owners | None = None
    ) -> dict[str, Any]:
        """Apply the body's new ops in order. Consecutive points ops of one run go to the store
        as one write (see `_PointsGroup`)."""
        applied = skipped = 0
        errors: list[dict[str, Any]] = []
        with self._lock(body.client):
            last = self._last.get(body.client, -1)
            group = _PointsGroup()

            def write_group() -> None:
                nonlocal last
                if group.ops:
                    errors.extend(group.write(store, who, owners))
                    last = self._last[body.client] = group.ops[-1][0]
                    group.ops.clear()

            for i, op in enumerate(body.ops):
                seq = body.seq + i
                if seq <= last:
                    skipped += 1
                    continue
                applied += 1
                try:
                    parsed = parse_op(op)
                    creates = owners.check(parsed, who) if owners is not None else False
                except (UsageError, RunNotFoundError, ForbiddenError) as e:  # permanent
                    write_group()
                    errors.append({"seq": seq, "code": e.code, "message": e.message})
                    last = self._last[body.client] = seq
                    continue
                if isinstance(parsed, PointsOp):
                    if not group.takes(parsed):
                        write_group()
                    group.ops.append((seq, parsed))
                    continue
                write_group()  # transient errors raise before `last` moves past an op
                try:
                    apply_parsed(store, parsed)
                    if self._alerts is not None and isinstance(parsed, EventsOp):
                        self._alerts.relay(
                            parsed.run, [EventRecord(**e.model_dump()) for e in parsed.rows]
                        )
                    if owners is not None:
                        if creates:
                            owners.claim(op_run_id(parsed), who)
                        owners.audit(parsed, who)
                except (UsageError, RunNotFoundError, ForbiddenError) as e:  # permanent
                    errors.append({"seq": seq, "code": e.code, "message": e.message})
                last = self._last[body.client] = seq
            write_group()
        return {"applied": applied, "skipped": skipped, "last_seq": last, "errors": errors}


class _PointsGroup:
    """Consecutive points ops of one run in a batch, written as one write_points.

    Why: a client sends many ops in one batch exactly when the server falls behind, and each
    write_points is a transaction with a fixed cost (a dozen round trips to PostgreSQL, the
    run's tail chunks decoded and encoded again); one write per batch instead of one per op
    is what lets a busy server catch up. Each key's points are the ops' points in op order,
    and a store keeps the last write of a step, so the result is the same as writing the ops
    one by one. When the joined write is refused (a missing run, a bad key), the ops are
    written one by one again, so each refusal names its own op."""

    def __init__(self) -> None:
        self.ops: list[tuple[int, PointsOp]] = []

    def takes(self, op: PointsOp) -> bool:
        return not self.ops or self.ops[0][1].run == op.run

    def write(self, store: Store, who: Who, owners: Owners | None) -> list[dict[str, Any]]:
        """Write the group; the errors of ops refused for good."""
        errors: list[dict[str, Any]] = []
        run = self.ops[0][1].run
        try:
            store.write_points(run, merge_points([op.point_batches() for _, op in self.ops]))
        except (UsageError, RunNotFoundError) as e:
            if len(self.ops) == 1:
                errors.append({"seq": self.ops[0][0], "code": e.code, "message": e.message})
            else:
                for seq, op in self.ops:
                    try:
                        store.write_points(run, op.point_batches())
                    except (UsageError, RunNotFoundError) as e1:
                        errors.append({"seq": seq, "code": e1.code, "message": e1.message})
        if owners is not None:
            refused = {e["seq"] for e in errors}
            for seq, op in self.ops:
                if seq not in refused:
                    owners.audit(op, who)
        return errors


def _read_body(data: bytes) -> IngestIn:
    try:
        return IngestIn.model_validate(orjson.loads(data))
    except (orjson.JSONDecodeError, ValueError) as e:
        raise UsageError(f"ingest body must be {{client, seq, ops: [...]}} as JSON: {e}") from None


def _ingest(store: Store, log: IngestLog, data: bytes, who: Who, owners: Owners) -> dict[str, Any]:
    return log.apply(store, _read_body(data), who, owners)


@ingest_router.post(
    "/ingest",
    response_class=Response,
    responses={
        200: {"model": IngestOut},
        415: {"description": "the body is not application/json"},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": IngestIn.model_json_schema()}},
        }
    },
)
async def ingest(request: Request) -> Response:
    """Apply a batch of the remote SDK's ops, in order, skipping ones already applied."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "application/json":
        raise HTTPException(
            415, f"ingest takes Content-Type: application/json, got {media or 'none'!r}"
        )
    store: Store = request.app.state.store
    data = await request.body()
    # parsed off the event loop too: a batch is megabytes, and other requests must not wait
    result = await run_in_threadpool(
        _ingest, store, request.app.state.ingest_log, data, who_sent(request),
        request.app.state.owners,
    )  # fmt: skip
    return json_response(result)


class CheckOut(BaseModel):
    actor: str
    scope: str
    projects: list[str] | None = Field(
        default=None, description="the projects the token is limited to (null: every one)"
    )


@ingest_router.post("/ingest/check", response_model=CheckOut)
def check(request: Request, project: str | None = None, run: str | None = None) -> CheckOut:
    """Whether the request's token may log here (it needs scope `write`, as every ingest
    does), into `project` when given (403 naming it for a token limited to others), and
    into the stored run `run` when given (`init(resume=)`: the run's project, and its
    owner for a write token, as every later op of it is checked; 404 for an unknown run):
    `init()` asks this at once, so a wrong, read-only or other project's token fails there
    with a clear error rather than later in the background. Changes nothing."""
    who = who_sent(request)
    if project is not None:
        who.check_project(project)
    if run is not None:
        owners: Owners = request.app.state.owners
        owners.check_change(run, who)
    projects = None if who.projects is None else list(who.projects)
    return CheckOut(actor=who.actor, scope=who.scope, projects=projects)


@ingest_router.get("/ingest/identity", response_model=IdentityOut)
def identity(request: Request) -> IdentityOut:
    """This server's id: its store's identity (written in the store, so every replica on
    one database and every spelling of the URL, localhost, 127.0.0.1 or a proxy, gives the
    same). Clients key their spools and journals by it (store/remote/spool.py,
    journal/files.py). A store without one gives a hash of its URL."""
    store: Store = request.app.state.store
    found = store.identity() or hashlib.sha256(store.url.encode()).hexdigest()[:24]
    return IdentityOut(id=found, points=POINT_FORMS)
