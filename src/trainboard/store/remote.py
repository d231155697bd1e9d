"""The remote engine: the SDK's store when TRAINBOARD_URL names a trainboard server.

Writes become ops (docs/api.md, "Ingest") POSTed in batches to /api/v1/ingest by one sender
thread; reads go to the JSON API. Why writes are queued rather than sent in the caller: a
training run must not stop, or lose points, because the server restarts or the network drops
for a minute. So every op is

1. appended to a spool file under TRAINBOARD_HOME/spool/ (store/spool.py: one per store,
   flock-ed while it lives, keyed by the server's identity), so even a killed training process
   leaves its unsent ops on disk;
2. queued in memory and sent in order, retried with backoff until the server takes it. At most
   MAX_QUEUE_BYTES (64 MB) wait in memory: beyond that the caller (the SDK's writer thread,
   never log()) waits, and the SDK's points wait in the run's journal on disk. So a client's
   memory during an outage is bounded by about that, whatever its length.

An op the server refuses for good (reported in the answer, or a batch refused REFUSED_TRIES
times, then split until the refused op is alone) is set aside in the spool folder's
deadletter.jsonl with one warning; the ops behind it are sent.

Each op has a sequence number within this store's client id; the server skips numbers it has
applied already, so a retry after a timeout (applied, but the answer was lost) does not apply
anything twice, and points are idempotent per step anyway. Once the queue is empty the spool is
truncated. A spool left by a dead process (its lock is free) is taken over by the next
RemoteStore for the same server, or sent by `trainboard sync`.
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
import uuid
import warnings
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import orjson

from trainboard import config
from trainboard.errors import (
    RunNotFoundError,
    StoreError,
    TrainboardError,
    TrainboardWarning,
    UsageError,
)
from trainboard.store import wire
from trainboard.store.base import Store
from trainboard.store.queries import RunQuery, XAxis, check_step_range
from trainboard.store.records import (
    ArtifactRecord,
    EventRecord,
    HistogramRecord,
    MetricSummary,
    PointBatch,
    RunRecord,
    Series,
    TextRecord,
    check_event,
    check_namespace,
)
from trainboard.store.spool import Spool, set_aside, take_orphans
from trainboard.store.wire import read_number

API = "/api/v1"
BATCH_OPS = 500  # ops per POST...
BATCH_BYTES = 8 << 20  # ...and bytes per POST, whichever comes first
BACKOFF_FIRST = 0.1
BACKOFF_MAX = 2.0
REFUSED_TRIES = 3  # a batch refused (4xx) this many times is split; a lone op is set aside
MAX_QUEUE_BYTES = 64 << 20  # ops waiting in memory (and in the spool) before back-pressure
CLOSE_TIMEOUT = 60.0  # seconds close() waits for an unreachable server; the spool keeps the rest


def _run_record(d: dict[str, Any]) -> RunRecord:
    run = RunRecord(**{k: d[k] for k in wire.RUN_FIELDS if k in d})
    run.summary = {
        k: MetricSummary(
            count=s["count"],
            last=read_number(s["last"]),
            last_step=s["last_step"],
            min=read_number(s["min"]),
            min_step=s["min_step"],
            max=read_number(s["max"]),
            max_step=s["max_step"],
            first_time=s["first_time"],
            last_time=s["last_time"],
        )
        for k, s in (d.get("summary") or {}).items()
    }
    return run


@dataclass
class _Batch:
    first_seq: int
    ops: list[bytes]


def server_identity(http: httpx.Client) -> str | None:
    """The server's id (the same for every spelling of its URL), or None if it is down."""
    try:
        r = http.get("/ingest/identity", timeout=min(2.0, http.timeout.read or 2.0))
        return str(r.json()["id"]) if r.status_code == 200 else None
    except (httpx.HTTPError, ValueError, KeyError, TypeError):
        return None


# --- the store ---------------------------------------------------------------------------
class RemoteStore(Store):
    """Store interface over a trainboard server's HTTP API (see the module docstring)."""

    def __init__(
        self,
        url: str,
        token: str | None = None,
        *,
        spool_dir: Path | None = None,
        timeout: float = 30.0,
        adopt: Callable[[dict[str, Any]], bool] | None = None,
    ) -> None:
        """`adopt` chooses the dead clients' spools this store sends (default: those made for
        this server, by its identity or, failing that, its URL)."""
        if not url.startswith(("http://", "https://")):
            raise UsageError(f"TRAINBOARD_URL must start with http:// or https://, got {url!r}")
        self.url = url.rstrip("/")
        token = token or config.token() or None
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = httpx.Client(base_url=self.url + API, headers=headers, timeout=timeout)
        self.client_id = uuid.uuid4().hex
        self._cond = threading.Condition()
        self._queue: deque[tuple[int, bytes]] = deque()
        self._queued_bytes = 0
        self._next_seq = 0
        self._closing = False
        self._close_deadline = math.inf
        self._warned: set[str] = set()
        self._tries = 0  # failed sends of the batch at the head of the queue
        self._single = 0  # ops left to send one at a time (a refused batch is being split)
        self.server_id = server_identity(self._http)
        self._folder = folder = spool_dir or (config.home() / "spool")
        self._spool = Spool(
            folder / f"{self.client_id}.spool",
            self.url,
            self.server_id,
            self.client_id,
            lambda m: self._warn_once("spool", m),
        )
        for op in take_orphans(folder, self._spool.path, adopt or self._same_server):
            self._enqueue(op)
        self._sender = threading.Thread(
            target=self._send_forever, name="trainboard-remote-sender", daemon=True
        )
        self._sender.start()

    def _same_server(self, header: dict[str, Any]) -> bool:
        theirs = header.get("server")
        if theirs and self.server_id:
            return bool(theirs == self.server_id)
        return bool(header.get("url") == self.url)

    # queue ------------------------------------------------------------------------------
    def _enqueue(self, op: bytes) -> None:
        """Spool and queue an op. Back-pressure: while MAX_QUEUE_BYTES wait to be sent, the
        caller (the SDK's writer thread, never log()) waits; its points wait in the journal."""
        with self._cond:
            while self._queued_bytes > MAX_QUEUE_BYTES and not self._closing:
                self._cond.wait(1.0)
            if self._closing:
                raise StoreError(f"the remote store for {self.url} is closed")
            seq = self._next_seq
            self._next_seq += 1
            self._spool.op(seq, op)
            self._queue.append((seq, op))
            self._queued_bytes += len(op)
            self._cond.notify_all()

    @property
    def pending(self) -> int:
        """Ops not yet taken by the server."""
        with self._cond:
            return len(self._queue)

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until the server has taken every op queued so far (True) or `timeout` passed."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            if not self._queue:
                return True
            last = self._queue[-1][0]
            while self._queue and self._queue[0][0] <= last:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._cond.wait(left if left is not None else 1.0)
            return True

    def _next_batch(self) -> _Batch | None:
        with self._cond:
            while not self._queue and not self._closing:
                self._cond.wait()
            if not self._queue:
                return None
            ops: list[bytes] = []
            size = 0
            most = 1 if self._single else BATCH_OPS
            for _, op in self._queue:
                if ops and (len(ops) >= most or size + len(op) > BATCH_BYTES):
                    break
                ops.append(op)
                size += len(op)
            return _Batch(self._queue[0][0], ops)

    def _taken(self, batch: _Batch) -> None:
        with self._cond:
            for _ in batch.ops:
                self._queued_bytes -= len(self._queue.popleft()[1])
            self._spool.ack(batch.first_seq + len(batch.ops) - 1, empty=not self._queue)
            self._single = max(0, self._single - len(batch.ops))
            self._tries = 0
            self._cond.notify_all()

    def _aside(self, op: bytes, error: str) -> None:
        path = set_aside(self._folder, self.url, op, error)
        self._warn_once(
            "aside",
            f"trainboard: {self.url} refused an op for good ({error[:300]}); it is kept in "
            f"{path} and the ops behind it are sent",
        )

    def _warn_once(self, kind: str, message: str) -> None:
        if kind not in self._warned:
            self._warned.add(kind)
            with contextlib.suppress(Exception):
                warnings.warn(message, TrainboardWarning, stacklevel=2)

    def _send_forever(self) -> None:
        backoff = 0.0
        while True:
            batch = self._next_batch()
            if batch is None:
                return
            try:
                done = self._send(batch)
            except Exception as e:  # never let the sender die: warn, back off, go on
                self._warn_once("sender", f"trainboard: sending to {self.url} failed: {e!r}")
                done = False
            if done:
                backoff = 0.0
                continue
            backoff = min(BACKOFF_MAX, backoff * 2 if backoff else BACKOFF_FIRST)
            with self._cond:
                if self._closing and self._close_deadline < time.monotonic():
                    return
                self._cond.wait(backoff)

    def _send(self, batch: _Batch) -> bool:
        """One POST of `batch`; True when it is settled (taken, or refused ops set aside)."""
        body = b'{"client":"%s","seq":%d,"ops":[%s]}' % (
            self.client_id.encode(),
            batch.first_seq,
            b",".join(batch.ops),
        )
        try:
            r = self._http.post(
                "/ingest", content=body, headers={"Content-Type": "application/json"}
            )
        except httpx.HTTPError as e:
            self._warn_once(
                "down",
                f"trainboard: server {self.url} unreachable ({type(e).__name__}); keeping "
                "ops queued (and spooled on disk) and retrying",
            )
            return False
        if r.status_code == 200:
            for err in r.json().get("errors", []):
                i = int(err["seq"]) - batch.first_seq
                if 0 <= i < len(batch.ops):
                    self._aside(batch.ops[i], f"{err.get('code')}: {err.get('message')}")
            self._taken(batch)
            self._warned.discard("down")
            return True
        if 400 <= r.status_code < 500 and r.status_code not in (401, 403, 408, 429):
            # refused for good: after a few tries, split the batch; a lone op goes aside
            self._tries += 1
            if self._tries >= REFUSED_TRIES:
                if len(batch.ops) > 1:
                    with self._cond:
                        self._single = len(batch.ops)
                        self._tries = 0
                    return True
                self._aside(batch.ops[0], f"HTTP {r.status_code}: {r.text[:500]}")
                self._taken(batch)
                return True
            return False
        self._warn_once(
            str(r.status_code),
            f"trainboard: server {self.url} answered {r.status_code}: {r.text[:300]}; retrying",
        )
        return False

    # reads ------------------------------------------------------------------------------
    def _get(self, path: str, **params: Any) -> Any:
        self.flush(timeout=self._http.timeout.read or 30.0)  # read what this store wrote
        return self._call("GET", path, params={k: v for k, v in params.items() if v is not None})

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            r = self._http.request(method, path, **kwargs)
        except httpx.HTTPError as e:
            raise StoreError(f"cannot reach the trainboard server at {self.url}: {e}") from None
        if r.status_code >= 400:
            try:
                err = r.json()["error"]
            except (ValueError, KeyError, TypeError):
                raise StoreError(f"{self.url}{API}{path}: HTTP {r.status_code}") from None
            if err.get("code") == "run_not_found":
                quoted = str(err.get("message", "")).split("'")
                raise RunNotFoundError(quoted[1] if len(quoted) > 2 else path.split("/")[2])
            cls: type[TrainboardError] = UsageError if r.status_code < 500 else StoreError
            raise cls(f"trainboard server: {err.get('message')}")
        if r.headers.get("content-type", "").startswith("application/json"):
            return orjson.loads(r.content)
        return r.content

    # runs -------------------------------------------------------------------------------
    def create_run(self, run: RunRecord) -> RunRecord:
        self._enqueue(wire.create_run_op(run))
        return run

    def get_run(self, run_id: str) -> RunRecord:
        return _run_record(self._get(f"/runs/{run_id}")["run"])

    def _params(self, query: RunQuery | None) -> dict[str, Any]:
        q = query or RunQuery()
        archived = {None: "all", True: "true", False: "false"}[q.archived]
        return {
            "project": q.project,
            "model": q.model,
            "status": q.status,
            "tag": q.tag,
            "search": q.search,
            "archived": archived,
            "sort": q.sort,
        }

    def list_runs(self, query: RunQuery | None = None) -> list[RunRecord]:
        q = query or RunQuery()
        out: list[RunRecord] = []
        offset = q.offset
        while True:
            want = 10_000 if q.limit is None else min(10_000, q.limit - len(out))
            if want <= 0:
                return out
            body = self._get("/runs", **self._params(q), limit=want, offset=offset)
            out += [_run_record(r) for r in body["runs"]]
            offset += len(body["runs"])
            if len(body["runs"]) < want:
                return out

    def count_runs(self, query: RunQuery | None = None) -> int:
        return int(self._get("/runs", **self._params(query), limit=1)["total"])

    def update_run(self, run_id: str, **fields: Any) -> None:
        self._enqueue(wire.update_run_op(run_id, fields))

    def set_archived(self, run_ids: Iterable[str], archived: bool) -> int:
        self.flush(timeout=self._http.timeout.read)
        path = "/runs/archive" if archived else "/runs/unarchive"
        body = self._call("POST", path, json={"ids": list(run_ids)})
        return int(body["archived" if archived else "unarchived"])

    def delete_runs(self, run_ids: Iterable[str]) -> int:
        self.flush(timeout=self._http.timeout.read)
        body = self._call("POST", "/runs/delete", json={"ids": list(run_ids), "confirm": True})
        return int(body["deleted"])

    # metrics ----------------------------------------------------------------------------
    def write_points(self, run_id: str, batches: dict[str, PointBatch]) -> None:
        self._enqueue(wire.points_op(run_id, batches))

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
        check_step_range(start, end)
        body = self._get(
            f"/runs/{run_id}/series",
            keys=key, max_points=max_points, x=x, since=since, start=start, end=end,
        )  # fmt: skip
        s = body["series"][key]
        values = np.array([read_number(v) for v in s["values"]], dtype=np.float64)
        return Series(
            key,
            np.asarray(s["steps"], dtype=np.int64),
            np.asarray(s["times"], dtype=np.float64),
            values,
            total=int(s["total"]),
            downsampled=bool(s["downsampled"]),
        )

    def metric_keys(self, run_id: str) -> list[str]:
        return list(self._get(f"/runs/{run_id}")["keys"])

    # texts, histograms, artifacts ---------------------------------------------------------
    def write_texts(self, run_id: str, rows: Sequence[TextRecord]) -> None:
        self._enqueue(wire.texts_op(run_id, list(rows)))

    def read_texts(
        self, run_id: str, key: str | None = None, since: int | None = None
    ) -> list[TextRecord]:
        body = self._get(f"/runs/{run_id}/texts", key=key, since=since)
        return [TextRecord(**t) for t in body["texts"]]

    def write_histograms(self, run_id: str, rows: Sequence[HistogramRecord]) -> None:
        self._enqueue(wire.histograms_op(run_id, list(rows)))

    def read_histograms(self, run_id: str, key: str | None = None) -> list[HistogramRecord]:
        body = self._get(f"/runs/{run_id}/histograms", key=key)
        out = []
        for h in body["histograms"]:
            h["edges"] = [read_number(v) for v in h["edges"]]
            h["min"], h["max"], h["sum"] = (
                read_number(h["min"]),
                read_number(h["max"]),
                read_number(h["sum"]),
            )
            out.append(HistogramRecord(**h))
        return out

    def add_artifact(self, run_id: str, artifact: ArtifactRecord) -> ArtifactRecord:
        """Records the artifact on the server; the file stays where the SDK kept it."""
        self._enqueue(wire.artifact_op(run_id, artifact))
        return artifact

    def list_artifacts(self, run_id: str) -> list[ArtifactRecord]:
        body = self._get(f"/runs/{run_id}/artifacts")
        return [ArtifactRecord(**a) for a in body["artifacts"]]

    # run values and events ------------------------------------------------------------------
    def write_run_values(self, run_id: str, namespace: str, values: dict[str, Any]) -> None:
        check_namespace(namespace)
        self._enqueue(wire.run_values_op(run_id, namespace, values))

    def read_run_values(self, run_id: str, namespace: str) -> dict[str, Any]:
        check_namespace(namespace)
        return dict(self._get(f"/runs/{run_id}/values/{namespace}")["values"])

    def add_events(self, run_id: str, rows: Sequence[EventRecord]) -> None:
        for e in rows:
            check_event(e)
        self._enqueue(wire.events_op(run_id, list(rows)))

    def read_events(self, run_id: str) -> list[EventRecord]:
        return [EventRecord(**e) for e in self._get(f"/runs/{run_id}/events")["events"]]

    # lifecycle ------------------------------------------------------------------------------
    def close(self, timeout: float = CLOSE_TIMEOUT) -> None:
        """Send what is queued (waiting up to `timeout` for the server), then stop. Ops the
        server did not take stay in the spool file for the next RemoteStore to send."""
        with self._cond:
            if self._closing:
                return
            self._close_deadline = time.monotonic() + timeout
            self._closing = True
            self._cond.notify_all()
        self._sender.join(timeout + 1.0)
        with self._cond:
            left = len(self._queue)
        if left:
            self._warn_once(
                "left",
                f"trainboard: {left} op(s) not yet taken by {self.url}; they stay in "
                f"{self._spool.path}; `trainboard sync` sends them (so does the next run that "
                "reaches this server)",
            )
        self._spool.close(keep=bool(left))
        self._http.close()
