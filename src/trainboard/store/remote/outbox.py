"""The remote store's outbox: every write, as an op, spooled on disk and sent in order by one
thread (store/remote/store.py says why writes are queued rather than sent in the caller).

1. Each op is appended to a spool file under TRAINBOARD_HOME/spool/ (store/remote/spool.py: one per
   store, flock-ed while it lives, keyed by the server's identity), so even a killed training
   process leaves its unsent ops on disk.
2. It is queued in memory and sent in order in batches, retried with backoff until the server
   takes it. At most MAX_QUEUE_BYTES (64 MB) wait in memory: beyond that the caller (the SDK's
   writer thread, never log()) waits, and the SDK's points wait in the run's journal on disk.
   So a client's memory during an outage is bounded by about that, whatever its length.

An op the server refuses for good (reported in the answer, or a batch refused REFUSED_TRIES
times, then split until the refused op is alone) is set aside in the spool folder's
deadletter.jsonl with one warning; the ops behind it are sent. No batch is retried forever
while the server answers: one it fails on (5xx) FAILED_TRIES times in a row is split the
same way, so the heartbeat and final status behind it still arrive. Only a server that
cannot be reached at all is waited for without end (the spool keeps the ops on disk).

Each op has a sequence number within the client id; the server skips numbers it has applied
already, so a retry after a timeout (applied, but the answer was lost) does not apply anything
twice, and points are idempotent per step anyway. Once the queue is empty the spool is
truncated. A spool left by a dead process (its lock is free) is taken over by the next
RemoteStore for the same server, or sent by `trainboard sync`.
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
import warnings
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from trainboard.errors import StoreError, TrainboardWarning
from trainboard.store.remote.spool import Spool, set_aside, take_orphans

BATCH_OPS = 500  # ops per POST...
BATCH_BYTES = 8 << 20  # ...and bytes per POST, whichever comes first
BACKOFF_FIRST = 0.1
BACKOFF_MAX = 2.0
REFUSED_TRIES = 3  # a batch refused (4xx) this many times is split; a lone op is set aside
FAILED_TRIES = 10  # a batch answered 5xx this many times in a row: the same, after ~15 s
MAX_QUEUE_BYTES = 64 << 20  # ops waiting in memory (and in the spool) before back-pressure
CLOSE_TIMEOUT = 60.0  # seconds close() waits for an unreachable server; the spool keeps the rest


@dataclass
class _Batch:
    first_seq: int
    ops: list[bytes]


class Outbox:
    """The ops of one client (`client_id`) for the server at `url` (see the module docstring).
    `adopt` chooses the dead clients' spools in `folder` that this outbox sends too."""

    def __init__(
        self,
        http: httpx.Client,
        url: str,
        folder: Path,
        client_id: str,
        server_id: str | None,
        adopt: Callable[[dict[str, Any]], bool],
    ) -> None:
        self.url = url
        self._http = http
        self._cond = threading.Condition()
        self._queue: deque[tuple[int, bytes]] = deque()
        self._queued_bytes = 0
        self._next_seq = 0
        self._closing = False
        self._close_deadline = math.inf
        self._warned: set[str] = set()
        self._tries = 0  # failed sends of the batch at the head of the queue
        self._failed = 0  # 5xx answers in a row to it
        self._single = 0  # ops left to send one at a time (a refused batch is being split)
        self._folder = folder
        self.client_id = client_id
        self._spool = Spool(
            folder / f"{client_id}.spool",
            url,
            server_id,
            client_id,
            lambda m: self._warn_once("spool", m),
        )
        for op in take_orphans(folder, self._spool.path, adopt):
            self.put(op)
        self._sender = threading.Thread(
            target=self._send_forever, name="trainboard-remote-sender", daemon=True
        )
        self._sender.start()

    def put(self, op: bytes) -> None:
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
            self._tries = self._failed = 0
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
        if r.status_code >= 500:
            # the server answers, but fails on this batch: not retried forever either
            self._failed += 1
            if self._failed >= FAILED_TRIES:
                self._failed = 0
                if len(batch.ops) > 1:
                    with self._cond:
                        self._single = len(batch.ops)
                    return True
                self._aside(
                    batch.ops[0],
                    f"HTTP {r.status_code} {FAILED_TRIES} times in a row: {r.text[:500]}",
                )
                self._taken(batch)
                return True
        self._warn_once(
            str(r.status_code),
            f"trainboard: server {self.url} answered {r.status_code}: {r.text[:300]}; retrying",
        )
        return False

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
