"""The background writer: the only thread of a run that touches the store.

The training thread appends `(step, wall_time, {key: value})` tuples to `points` (a deque:
append and popleft are atomic, so no lock is taken in `log()`). This thread wakes every
flush interval (or when asked), turns what is queued into one `PointBatch` per key, writes
them with `store.write_points`, and beats the run's heartbeat.

A failing store never raises in the training thread: points stay buffered here, the write is
retried with backoff, and one warning is issued per outage. Back-pressure instead of loss:
when more than `max_pending` points are queued or buffered, `log()` waits for this thread.
"""

from __future__ import annotations

import math
import threading
import time
import warnings
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from trainboard.errors import TrainboardWarning, UsageError

if TYPE_CHECKING:
    from trainboard.store.base import (
        ArtifactRecord,
        HistogramRecord,
        RunRecord,
        Store,
        TextRecord,
    )

MAX_PENDING_POINTS = 200_000  # about 20 MB of queued dicts before log() waits
_BACKOFF_FIRST = 0.05
_BACKOFF_MAX = 5.0


def _as_float(value: Any) -> float:
    """Writer-side conversion: bool, numpy scalars, 0-d tensors (`.item()` syncs a device
    tensor here, not in the training thread)."""
    if hasattr(value, "item"):
        value = value.item()
    return float(value)


class Writer:
    """Batches one run's data into the store from a daemon thread."""

    def __init__(
        self,
        run: RunRecord,
        open_store: Callable[[], Store],
        *,
        create: bool,
        resume_fields: dict[str, Any] | None = None,
        flush_interval: float,
        heartbeat_interval: float,
        max_pending: int = MAX_PENDING_POINTS,
    ) -> None:
        # Shared with the training thread (append-only there).
        self.points: deque[tuple[int, float, dict[str, Any]]] = deque()
        self.ops: deque[tuple[str, Any]] = deque()
        self.produced = 0  # points handed to the writer (training thread)
        self.written = 0  # points the store has (writer thread)
        self.max_pending = max_pending

        self._run = run
        self._open_store = open_store
        self._create = create
        self._resume_fields = resume_fields or {}
        self._flush_interval = max(0.01, flush_interval)
        self._heartbeat_interval = heartbeat_interval
        self._store: Store | None = None
        self._created = False

        # Writer-side buffers: drained but not yet in the store.
        self._bufs: dict[str, tuple[list[int], list[float], list[float]]] = {}
        self._buffered = 0
        self._updates: dict[str, Any] = {}
        self._texts: list[TextRecord] = []
        self._hists: list[HistogramRecord] = []
        self._artifacts: list[ArtifactRecord] = []
        self._final: dict[str, Any] | None = None

        self._wake = threading.Event()
        self._room = threading.Event()
        self._waiters: deque[threading.Event] = deque()
        self._held: list[threading.Event] = []  # flush() callers waiting on a failed write
        self._closing: dict[str, Any] | None = None
        self._abandon = False
        self._closed_ok = False  # everything, the final status included, is in the store
        self._warned = False
        self.failures = 0  # failed write attempts so far (for tests and diagnostics)
        self.last_error: BaseException | None = None
        self._thread = threading.Thread(
            target=self._main, name=f"trainboard-writer-{run.id}", daemon=True
        )

    # training-thread side ---------------------------------------------------------------
    def start(self) -> None:
        self._thread.start()

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def wait_for_room(self) -> None:
        """Back-pressure: block until the writer has caught up below the bound."""
        while self.produced - self.written > self.max_pending // 2 and self.alive:
            self._room.clear()
            self._wake.set()
            self._room.wait(0.05)

    def flush(self, timeout: float | None = None) -> bool:
        """Write everything queued so far; True once it is in the store."""
        if not self.alive:
            return False
        done = threading.Event()
        self._waiters.append(done)
        self._wake.set()
        return done.wait(timeout)

    def close(self, fields: dict[str, Any], timeout: float | None) -> bool:
        """Flush everything, write the final run `fields` (status, finished_at...), stop."""
        self._closing = fields
        self._wake.set()
        self._thread.join(timeout)
        pending = self.produced - self.written
        if self._thread.is_alive() and not self._closed_ok:  # else only store.close() is left
            self._abandon = True
            self._wake.set()
            _warn(
                f"trainboard: gave up writing run {self._run.id} to the store after "
                f"{timeout:g}s; {pending} points were not written (last error: {self.last_error})"
            )
            return False
        return True

    # writer thread ----------------------------------------------------------------------
    def _main(self) -> None:
        try:
            self._loop()
        finally:
            for waiter in [*self._held, *self._waiters]:
                waiter.set()
            self._room.set()
            if self._store is not None:
                try:
                    self._store.close()
                except Exception:
                    pass

    def _loop(self) -> None:
        now = time.monotonic()
        next_flush = now + self._flush_interval
        next_beat = now + self._heartbeat_interval
        backoff = 0.0
        retry_at = 0.0
        held = self._held
        while not self._abandon:
            now = time.monotonic()
            due = retry_at if backoff else min(next_flush, next_beat)
            if due > now:
                self._wake.wait(due - now)
            self._wake.clear()
            if self._abandon:
                return
            now = time.monotonic()
            if backoff and now < retry_at and self._closing is None:
                continue  # woken during backoff by log(): keep waiting unless closing
            while self._waiters:
                held.append(self._waiters.popleft())
            closing = self._closing
            self._drain()
            beat = self._heartbeat_interval > 0 and now >= next_beat
            if beat:
                next_beat = now + self._heartbeat_interval
                self._updates.update(heartbeat_at=time.time())
                if closing is None:
                    self._updates["status"] = "running"
            if closing is not None and self._final is None:
                self._final = dict(closing, heartbeat_at=time.time())
            try:
                self._write()
            except Exception as exc:  # keep everything, retry with backoff
                self.failures += 1
                self.last_error = exc
                backoff = min(_BACKOFF_MAX, backoff * 2 if backoff else _BACKOFF_FIRST)
                retry_at = time.monotonic() + backoff
                if not self._warned:
                    self._warned = True
                    _warn(
                        f"trainboard: could not write run {self._run.id} to the store "
                        f"({type(exc).__name__}: {exc}); keeping {self._buffered} points "
                        "in memory and retrying"
                    )
                continue
            backoff = 0.0
            self._warned = False
            next_flush = time.monotonic() + self._flush_interval
            for waiter in held:
                waiter.set()
            held.clear()
            self._room.set()
            if closing is not None:
                self._closed_ok = True
                return

    def _drain(self) -> None:
        """Move everything queued into the per-key buffers (converting non-float values)."""
        bufs = self._bufs
        points = self.points
        n = 0
        while points:
            step, wall, data = points.popleft()
            for key, value in data.items():
                buf = bufs.get(key)
                if buf is None:
                    buf = bufs[key] = ([], [], [])
                if type(value) is not float:
                    try:
                        value = _as_float(value)
                    except Exception:  # a tensor that cannot be read: keep the step as NaN
                        value = math.nan
                buf[0].append(step)
                buf[1].append(wall)
                buf[2].append(value)
                n += 1
        self._buffered += n
        ops = self.ops
        while ops:
            kind, payload = ops.popleft()
            if kind == "update":
                self._updates.update(payload)
            elif kind == "text":
                self._texts.append(payload)
            elif kind == "histogram":
                self._hists.append(payload)
            elif kind == "artifact":
                self._artifacts.append(payload)

    def _write(self) -> None:
        """One attempt to put every buffer into the store; each part is cleared once written."""
        from trainboard.store.base import PointBatch

        if self._store is None:
            self._store = self._open_store()
        store, run_id = self._store, self._run.id
        if not self._created:
            if self._create:
                try:
                    store.create_run(self._run)
                except UsageError:  # a previous attempt committed before failing
                    store.get_run(run_id)
            elif self._resume_fields:
                store.update_run(run_id, **self._resume_fields)
            self._created = True
        if self._bufs:
            batches = {k: PointBatch.of(*cols) for k, cols in self._bufs.items()}
            store.write_points(run_id, batches)
            self._bufs = {}
            self.written += self._buffered
            self._buffered = 0
        if self._texts:
            store.write_texts(run_id, self._texts)
            self._texts = []
        if self._hists:
            store.write_histograms(run_id, self._hists)
            self._hists = []
        while self._artifacts:
            store.add_artifact(run_id, self._artifacts[0])
            self._artifacts.pop(0)
        if self._final is not None:
            self._updates.update(self._final)
        if self._updates:
            store.update_run(run_id, **self._updates)
            self._updates = {}


def _warn(message: str) -> None:
    """warnings.warn from a background thread; never let a warnings filter set to "error"
    turn it into an exception that would kill the writer."""
    try:
        warnings.warn(message, TrainboardWarning, stacklevel=2)
    except Exception:
        pass
