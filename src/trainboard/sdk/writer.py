"""The background writer: the only thread of a run that touches the store.

`log()` puts points into the run's journal (store/journal.py: a memory-mapped file, so a
killed process loses none of them). This thread wakes every flush interval (or when asked),
reads what the journal holds since last time, writes it with `store.write_points`, and then
lets the journal forget it; it also writes texts, histograms, artifacts and run updates that
arrive through the named `enqueue_*` methods, and beats the run's heartbeat.

Faults never reach the training thread (store/recovery.py says which is which):

- transient (store down, locked, disk full): retried with backoff; the points wait on disk
  in the journal, not in memory, so `log()` never waits;
- permanent (the store refuses some data for good): the batch is split by key and what is
  refused alone goes to the dead-letter file beside the store, with one warning naming it;
- the run was deleted: writing stops with one warning, training goes on.

Values the journal cannot take in the caller (torch tensors, read here with `.item()` so the
training thread never syncs a device; system metrics from the sampler thread) come through
`enqueue_points` and are put into the journal by this thread. When the journal itself cannot
grow (a full disk), points are kept in memory up to `MAX_MEMORY_POINTS` and counted as lost
beyond that: bounded memory, and `log()` never blocks.
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
import warnings
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trainboard.errors import TrainboardWarning, UsageError
from trainboard.store.recovery import batches_of, fault_kind, set_aside, write_points_or_set_aside

if TYPE_CHECKING:
    from trainboard.store.base import (
        ArtifactRecord,
        HistogramRecord,
        PointBatch,
        RunRecord,
        Store,
        TextRecord,
    )
    from trainboard.store.journal import Columns, Journal

MAX_MEMORY_POINTS = 1_000_000  # points kept in memory while the journal cannot grow (~100 MB)
_BACKOFF_FIRST = 0.05
_BACKOFF_MAX = 5.0
_READS_PER_WRITE = 64  # journal reads per wake-up...
_READ_BYTES = 1 << 20  # ...of at most this much each (~75,000 points): short GIL holds


def _as_float(value: Any) -> float:
    """Writer-side conversion: bool, numpy scalars, 0-d tensors (`.item()` syncs a device
    tensor here, not in the training thread)."""
    if hasattr(value, "item"):
        value = value.item()
    return float(value)


class Writer:
    """Writes one run's journal and queued records into the store from a daemon thread."""

    def __init__(
        self,
        run: RunRecord,
        url: str,
        open_store: Callable[[], Store],
        *,
        journal: Journal | None,
        create: bool,
        resume_fields: dict[str, Any] | None = None,
        flush_interval: float,
        heartbeat_interval: float,
        store: Store | None = None,
    ) -> None:
        self.journal = journal
        # Shared with the training thread (append-only there).
        self._points: deque[tuple[int, float, dict[str, Any]]] = deque()
        self._updates_q: deque[dict[str, Any]] = deque()
        self._texts_q: deque[TextRecord] = deque()
        self._hists_q: deque[HistogramRecord] = deque()
        self._artifacts_q: deque[ArtifactRecord] = deque()
        self._calls_q: deque[tuple[str, tuple[Any, ...]]] = deque()
        self.written = 0  # points the store has (writer thread)
        self.lost = 0  # points neither the journal nor memory could keep (a full disk)

        self._run = run
        self._url = url
        self._open_store = open_store
        self._store = store
        self._create = create
        self._resume_fields = resume_fields or {}
        self._flush_interval = max(0.01, flush_interval)
        self._heartbeat_interval = heartbeat_interval
        self._created = False
        self.deleted = False

        # Writer-side buffers: taken from the queues but not yet in the store.
        self._mem: dict[str, tuple[list[int], list[float], list[float]]] = {}
        self._mem_count = 0
        self._updates: dict[str, Any] = {}
        self._texts: list[TextRecord] = []
        self._hists: list[HistogramRecord] = []
        self._artifacts: list[ArtifactRecord] = []
        self._calls: list[tuple[str, tuple[Any, ...]]] = []
        self._final: dict[str, Any] | None = None

        self._wake = threading.Event()
        self._waiters: deque[threading.Event] = deque()
        self._held: list[threading.Event] = []  # flush() callers waiting on a failed write
        self._closing: dict[str, Any] | None = None
        self._close_by = float("inf")  # when finish() stops waiting (monotonic clock)
        self._closed_ok = False  # everything, the final status included, is in the store
        self._warned: set[str] = set()
        self.aside: Path | None = None  # the dead-letter file, once something went there
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

    def enqueue_points(self, step: int, wall: float, data: dict[str, Any]) -> None:
        """Points the journal cannot take in the caller (tensors, other threads)."""
        if len(self._points) * 4 > MAX_MEMORY_POINTS:
            self.lost += len(data)
            self._warn_once(
                "lost", f"trainboard: run {self._run.id} is dropping points: {self._where_lost()}"
            )
            return
        self._points.append((step, wall, data))

    def enqueue_update(self, fields: dict[str, Any]) -> None:
        self._updates_q.append(fields)

    def enqueue_text(self, record: TextRecord) -> None:
        self._texts_q.append(record)

    def enqueue_histogram(self, record: HistogramRecord) -> None:
        self._hists_q.append(record)

    def enqueue_artifact(self, record: ArtifactRecord) -> None:
        self._artifacts_q.append(record)

    def enqueue_call(self, method: str, args: tuple[Any, ...]) -> None:
        """A store call `store.<method>(run_id, *args)` made in order after the records
        queued before it (the wandb surface's run summary values and alert events)."""
        self._calls_q.append((method, args))

    def journal_failed(self, exc: OSError) -> None:
        """log() could not grow the journal (a full disk): points go through memory now."""
        self._warn_once(
            "journal",
            f"trainboard: cannot grow the journal of run {self._run.id} ({exc}); keeping up to "
            f"{MAX_MEMORY_POINTS:,} points in memory until there is room again",
        )

    def _where_lost(self) -> str:
        return f"no room on disk for its journal and {MAX_MEMORY_POINTS:,} points in memory"

    def flush(self, timeout: float | None = None) -> bool:
        """Write everything queued so far; True once it is in the store."""
        if not self.alive:
            return False
        done = threading.Event()
        self._waiters.append(done)
        self._wake.set()
        return done.wait(timeout)

    def close(self, fields: dict[str, Any], timeout: float) -> bool:
        """Write everything, then the final run `fields` (status, finished_at...), and stop.
        After `timeout` seconds give up with one warning that says what was not written and
        where it is kept (the writer goes on trying while the process lives)."""
        self._close_by = time.monotonic() + timeout
        self._closing = fields
        self._wake.set()
        self._thread.join(timeout)
        if self._closed_ok or not self._thread.is_alive():
            return True
        where = "nowhere: it was not journalled"
        if self.journal is not None:
            with contextlib.suppress(OSError):
                self.journal.keep_final(fields)
            where = (
                f"in {self.journal.folder}; the next trainboard process that opens the store "
                "writes them"
            )
        unsent = len(self._texts) + len(self._hists) + len(self._artifacts)
        _warn(
            f"trainboard: finish() gave up on run {self._run.id} after {timeout:g}s "
            f"(last error: {self.last_error}); its unwritten points and final status are kept "
            f"{where}"
            + (f"; {unsent} texts/histograms/artifacts in memory are not" if unsent else "")
        )
        return False

    # writer thread ----------------------------------------------------------------------
    def _main(self) -> None:
        try:
            self._loop()
        finally:
            for waiter in [*self._held, *self._waiters]:
                waiter.set()
            if self._closed_ok and self.journal is not None:
                self.journal.close(remove=True)
            if self._store is not None:
                with contextlib.suppress(Exception):
                    remote = hasattr(self._store, "flush")  # send within finish()'s time
                    if remote and self._close_by != float("inf"):
                        left = max(0.1, self._close_by - time.monotonic() - 0.2)
                        self._store.close(timeout=left)  # type: ignore[call-arg]
                    else:
                        self._store.close()

    def _loop(self) -> None:
        now = time.monotonic()
        next_flush = now + self._flush_interval
        next_beat = now + self._heartbeat_interval
        backoff = 0.0
        retry_at = 0.0
        held = self._held
        while True:
            now = time.monotonic()
            due = retry_at if backoff else min(next_flush, next_beat)
            if due > now:
                self._wake.wait(due - now)
            self._wake.clear()
            now = time.monotonic()
            if backoff and now < retry_at and self._closing is None:
                continue  # woken during backoff: keep waiting unless closing
            while self._waiters:
                held.append(self._waiters.popleft())
            closing = self._closing
            self._drain()
            if self._heartbeat_interval > 0 and now >= next_beat:
                next_beat = now + self._heartbeat_interval
                self._updates.update(heartbeat_at=time.time())
                if closing is None:
                    self._updates["status"] = "running"
            if closing is not None and self._final is None:
                self._final = dict(closing, heartbeat_at=time.time())
            try:
                self._write(everything=closing is not None)
            except Exception as exc:
                kind = fault_kind(exc)
                if kind == "deleted":
                    self._run_deleted()
                    continue
                self.failures += 1
                self.last_error = exc
                backoff = min(_BACKOFF_MAX, backoff * 2 if backoff else _BACKOFF_FIRST)
                retry_at = time.monotonic() + backoff
                kept = f"in {self.journal.folder}" if self.journal is not None else "in memory"
                self._warn_once(
                    "write",
                    f"trainboard: could not write run {self._run.id} to the store "
                    f"({type(exc).__name__}: {exc}); its points wait {kept} and the write is "
                    "retrying",
                )
                continue
            backoff = 0.0
            self._warned.discard("write")
            next_flush = time.monotonic() + self._flush_interval
            for waiter in held:
                waiter.set()
            held.clear()
            if closing is not None:
                self._closed_ok = True
                return

    def _run_deleted(self) -> None:
        if not self.deleted:
            self.deleted = True
            _warn(
                f"trainboard: run {self._run.id} was deleted from the store while it was "
                "logging; nothing more of it is written (training goes on)"
            )
        self._mem.clear()
        self._mem_count = 0
        self._updates.clear()
        self._texts.clear()
        self._hists.clear()
        self._artifacts.clear()

    def _drain(self) -> None:
        """Take what the queues hold: points into the journal (else memory), records into
        the writer's lists."""
        points = self._points
        journal = self.journal
        while points:
            step, wall, data = points.popleft()
            values = {k: v if type(v) is float else _float_or_nan(v) for k, v in data.items()}
            if journal is not None:
                try:
                    kind = journal.kinds.get(tuple(values)) or journal.add_kind(tuple(values))
                    if journal.fits(kind):
                        journal.append(kind, step, wall, values.values())
                        continue
                except OSError:
                    pass  # a full disk: memory keeps them (bounded by enqueue_points)
            self._remember(step, wall, values)
        while self._updates_q:
            self._updates.update(self._updates_q.popleft())
        while self._texts_q:
            self._texts.append(self._texts_q.popleft())
        while self._hists_q:
            self._hists.append(self._hists_q.popleft())
        while self._artifacts_q:
            self._artifacts.append(self._artifacts_q.popleft())
        while self._calls_q:
            self._calls.append(self._calls_q.popleft())

    def _remember(self, step: int, wall: float, values: dict[str, float]) -> None:
        for key, value in values.items():
            buf = self._mem.get(key)
            if buf is None:
                buf = self._mem[key] = ([], [], [])
            buf[0].append(step)
            buf[1].append(wall)
            buf[2].append(value)
        self._mem_count += len(values)

    def _ensure_store(self) -> Store:
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
            if self.journal is not None:
                self.journal.created()
        return store

    def _aside(self, path: Path, what: str) -> None:
        self.aside = path
        self._warn_once(
            f"aside {what}",
            f"trainboard: the store refused {what} of run {self._run.id} for good; it is kept "
            f"in {path} and the rest of the run is written",
        )

    def _write(self, everything: bool) -> None:
        """One attempt to put what is pending into the store; each part is forgotten once
        written. Raises on a transient fault or a deleted run (the caller decides)."""
        store = self._ensure_store()
        if self.deleted:
            self._discard_journal()
            return
        run_id, url = self._run.id, self._url
        journal = self.journal
        if journal is not None:
            reads = 0
            while everything or reads < _READS_PER_WRITE:
                reads += 1
                columns: Columns = {}
                segments = len(journal.segments)
                marks = journal.read(columns, max_bytes=_READ_BYTES)
                if columns:
                    batches = batches_of(columns)
                    try:
                        write_points_or_set_aside(
                            store,
                            url,
                            run_id,
                            batches,
                            lambda p, k: self._aside(p, f"points of {k!r}"),
                        )
                    except BaseException:
                        journal.rewind(marks)
                        raise
                    self.written += sum(len(b.steps) for b in batches.values())
                journal.commit(marks)
                if not columns and len(journal.segments) == segments:
                    break
                time.sleep(0)  # let the training thread have the GIL between reads
        if self._mem:
            batches = _mem_batches(self._mem)
            write_points_or_set_aside(
                store, url, run_id, batches, lambda p, k: self._aside(p, f"points of {k!r}")
            )
            self.written += self._mem_count
            self._mem, self._mem_count = {}, 0
        if self._texts:
            self._each(self._texts, lambda rows: store.write_texts(run_id, rows), "texts")
            self._texts = []
        if self._hists:
            self._each(self._hists, lambda rows: store.write_histograms(run_id, rows), "histograms")
            self._hists = []
        while self._artifacts:
            self._each(
                self._artifacts[:1], lambda rows: store.add_artifact(run_id, rows[0]), "an artifact"
            )
            self._artifacts.pop(0)
        while self._calls:
            name, args = self._calls[0]
            call = getattr(store, name)
            self._each([args], lambda rows: call(run_id, *rows[0]), name)  # noqa: B023
            self._calls.pop(0)
        if self._final is not None:
            self._updates.update(self._final)
        if self._updates:
            self._each(
                [self._updates], lambda rows: store.update_run(run_id, **rows[0]), "run fields"
            )
            self._updates = {}

    def _each(self, rows: list[Any], write: Callable[[list[Any]], object], what: str) -> None:
        """write(rows); on a permanent fault row by row, setting aside the rows refused."""
        try:
            write(rows)
            return
        except Exception as exc:
            if fault_kind(exc) != "permanent":
                raise
            if len(rows) == 1:
                row = rows[0]
                data = row if isinstance(row, dict) else getattr(row, "__dict__", str(row))
                self._aside(set_aside(self._url, self._run.id, what, [data], exc), what)
                return
        for row in rows:
            self._each([row], write, what)

    def _discard_journal(self) -> None:
        if self.journal is None:
            return
        while True:
            columns: Columns = {}
            segments = len(self.journal.segments)
            marks = self.journal.read(columns, max_bytes=_READ_BYTES)
            self.journal.commit(marks)
            if not columns and len(self.journal.segments) == segments:
                return
            time.sleep(0.001)  # a deleted run's points are dropped: no hurry

    def _warn_once(self, kind: str, message: str) -> None:
        if kind not in self._warned:
            self._warned.add(kind)
            _warn(message)


def _float_or_nan(value: Any) -> float:
    try:
        return _as_float(value)
    except Exception:  # a tensor that cannot be read: keep the step as NaN
        return math.nan


def _mem_batches(
    mem: dict[str, tuple[list[int], list[float], list[float]]],
) -> dict[str, PointBatch]:
    from trainboard.store.base import PointBatch

    return {k: PointBatch.of(*cols) for k, cols in mem.items()}


def _warn(message: str) -> None:
    """warnings.warn from a background thread; never let a warnings filter set to "error"
    turn it into an exception that would kill the writer."""
    with contextlib.suppress(Exception):
        warnings.warn(message, TrainboardWarning, stacklevel=2)
