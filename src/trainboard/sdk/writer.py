"""The background writer: the only thread of a run that touches the store.

`log()` puts points into the run's journal (journal/files.py: a memory-mapped file, so a
killed process loses none of them). This thread wakes every flush interval (or when asked),
reads what the journal holds since last time, writes it with `store.write_points`, and then
lets the journal forget it; it also writes texts, histograms, artifacts and run updates that
arrive through the named `enqueue_*` methods, and beats the run's heartbeat.

What is queued and taken, how batches are built and what the store refuses for good are
sdk/pending.py; this module is the thread: when to write, retrying, closing.

Faults never reach the training thread (journal/recovery.py says which is which):

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
import threading
import time
import warnings
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trainboard import settings
from trainboard.errors import TrainboardWarning, UsageError
from trainboard.journal.media import MediaJournal
from trainboard.journal.recovery import fault_kind
from trainboard.sdk.pending import Pending

if TYPE_CHECKING:
    from trainboard.journal.files import Journal
    from trainboard.journal.media import QueuedMedia
    from trainboard.store.base import Store
    from trainboard.store.records import ArtifactRecord, HistogramRecord, RunRecord, TextRecord

MAX_MEMORY_POINTS = 1_000_000  # points kept in memory while the journal cannot grow (~100 MB)
MEDIA_PROGRESS_S = 10.0  # finish() waits on while each such span encodes or writes media...
MEDIA_WAIT_MAX = 600.0  # ...up to this long
_BACKOFF_FIRST = 0.05
_BACKOFF_MAX = 5.0


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
        # queued media kept as files beside the journal until written (journal/media.py)
        self.media_journal = (
            MediaJournal(journal.folder, journal.run_id) if journal is not None else None
        )
        self._pending = Pending(run.id, url, journal, self._aside, self.media_journal)
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
        # a run several processes write (sdk/ranks.py): the heartbeat never sets the status
        # (another rank may have failed the run), and a run that exists is claimed, not an error
        self.shared = False

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

    @property
    def written(self) -> int:
        """Points the store has."""
        return self._pending.written

    def enqueue_points(self, step: int, wall: float, data: dict[str, Any]) -> None:
        """Points the journal cannot take in the caller (tensors, other threads)."""
        pending = self._pending
        if pending.in_memory + len(data) > MAX_MEMORY_POINTS:
            self.lost += len(data)
            if "lost" in self._warned:
                return  # said once; dropping stays as cheap as a log()
            self._warn_once(
                "lost",
                f"trainboard: run {self._run.id} is dropping points from step {step} on "
                f"(keys {', '.join(sorted(data)[:5])}{', ...' if len(data) > 5 else ''}): "
                f"{self._where_lost()}; the points before it are kept, and Run.lost_points "
                "counts what is dropped",
            )
            return
        pending.enqueued_values += len(data)
        pending.points.append((step, wall, data))

    def enqueue_update(self, fields: dict[str, Any]) -> None:
        self._pending.updates_q.append(fields)

    def enqueue_text(self, record: TextRecord) -> None:
        self._pending.texts_q.append(record)

    def enqueue_histogram(self, record: HistogramRecord) -> None:
        self._pending.hists_q.append(record)

    def enqueue_artifact(self, record: ArtifactRecord) -> None:
        self._pending.artifacts_q.append(record)

    def enqueue_media(self, item: QueuedMedia) -> None:
        """A media value (sdk/medialog.py): encoded and written by this thread."""
        self._pending.media_q.append(item)

    def enqueue_call(self, method: str | Callable[..., Any], args: tuple[Any, ...]) -> None:
        """A store call `store.<method>(run_id, *args)` made in order after the records
        queued before it (the wandb surface's run summary values and alert events), or
        `method(store, run_id, *args)` for a function (sdk/ranks.py)."""
        self._pending.calls_q.append((method, args))

    @property
    def store(self) -> Store | None:
        """The store this writer has opened (None until its first write)."""
        return self._store

    def journal_failed(self, exc: OSError) -> None:
        """log() could not grow the journal (a full disk): points go through memory now."""
        if "journal" in self._warned:
            return  # said once; the message is not even formatted again
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
        self._wait_for_media()
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
        unsent = self._pending.unsent
        _warn(
            f"trainboard: finish() gave up on run {self._run.id} after {timeout:g}s "
            f"(last error: {self.last_error}); its unwritten points and final status are kept "
            f"{where}"
            + (f"; {unsent} texts/histograms/artifacts/media in memory are not" if unsent else "")
        )
        return False

    def _wait_for_media(self) -> None:
        """Media are not journalled: while some are still being written and each
        MEDIA_PROGRESS_S encodes or writes more of them, finish() waits for them (up to
        MEDIA_WAIT_MAX) rather than leave them in memory."""
        pending = self._pending
        end = time.monotonic() + MEDIA_WAIT_MAX
        while self._thread.is_alive() and pending.media_pending and time.monotonic() < end:
            before = pending.media_progress
            self._thread.join(MEDIA_PROGRESS_S)
            if pending.media_progress == before:
                return  # no progress (the store is down): give up as for points

    # writer thread ----------------------------------------------------------------------
    def _main(self) -> None:
        try:
            self._loop()
        finally:
            for waiter in [*self._held, *self._waiters]:
                waiter.set()
            if self._closed_ok and self.journal is not None:
                self.journal.close(remove=True)
                if self.media_journal is not None:
                    self.media_journal.close()
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
        in_row = 0  # failed attempts since the last write that went through
        attempts = settings.write_attempts()
        held = self._held
        pending = self._pending
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
            pending.drain()
            if self._heartbeat_interval > 0 and now >= next_beat:
                next_beat = now + self._heartbeat_interval
                pending.updates.update(heartbeat_at=time.time())
                if closing is None and not self.shared:
                    pending.updates["status"] = "running"
            if closing is not None and pending.final is None:
                pending.final = dict(closing, heartbeat_at=time.time())
            try:
                self._write(everything=closing is not None)
            except Exception as exc:
                kind = fault_kind(exc)
                if kind == "deleted":
                    self._run_deleted()
                    continue
                self.failures += 1
                self.last_error = exc
                in_row += 1
                if in_row >= attempts and self._set_aside_stuck(exc, in_row):
                    in_row = backoff = 0  # the rest (heartbeat, final status) goes at once
                    self._warned.discard("write")
                    continue
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
            in_row = 0
            self._warned.discard("write")
            next_flush = time.monotonic() + self._flush_interval
            for waiter in held:
                waiter.set()
            held.clear()
            if closing is not None:
                self._closed_ok = True
                return

    def _set_aside_stuck(self, exc: BaseException, tries: int) -> bool:
        """No batch is retried forever: after `tries` failures in a row, if the store still
        takes a small write (the heartbeat), the fault is the batch's, not an outage. The part
        that keeps failing is set aside in the dead-letter file (`trainboard sync
        --deadletter` replays it), the run gets an event saying so, and the writer goes on
        with the rest: heartbeat and final status still reach the store. False during an
        outage (the heartbeat fails too): the data waits, as for any outage."""
        store = self._store
        if store is None:
            return False
        try:
            store.update_run(self._run.id, heartbeat_at=time.time())
        except Exception:
            return False
        what, path = self._pending.set_aside_stuck(exc)
        if path is None:
            return False
        self.aside = path
        message = (
            f"{what} of run {self._run.id} failed {tries} times in a row while the store took "
            f"other writes ({type(exc).__name__}: {str(exc)[:300]}); set aside in {path} so "
            "the rest of the run is written. Once the cause is fixed, `trainboard sync "
            "--deadletter` writes it."
        )
        _warn(f"trainboard: {message}")
        from trainboard.store.records import EventRecord

        with contextlib.suppress(Exception):
            store.add_events(
                self._run.id,
                [EventRecord("trainboard", "data set aside", message, "warn", time.time())],
            )
        return True

    def _run_deleted(self) -> None:
        if not self.deleted:
            self.deleted = True
            _warn(
                f"trainboard: run {self._run.id} was deleted from the store while it was "
                "logging; nothing more of it is written (training goes on)"
            )
        self._pending.discard()

    def _ensure_store(self) -> Store:
        if self._store is None:
            self._store = self._open_store()
        store, run_id = self._store, self._run.id
        if not self._created:
            if self.journal is not None and self.journal.identity is None:
                self.journal.know_store(identity_of(store))  # it was down at init()
            if self._create:
                try:
                    store.create_run(self._run)
                except UsageError:  # a previous attempt committed before failing
                    store.get_run(run_id)
                # rank 0 of a job: another rank, or a restart, may have made the run first,
                # and a team server takes a create of an id it has as a resend (no error
                # here), so rank 0's own fields (host, pid, config) are written over it
                # either way: the run's owner is rank 0 whatever the order the ranks started
                if self.shared and self._resume_fields:
                    store.update_run(run_id, **self._resume_fields)
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
        """One attempt to put what is pending into the store. Raises on a transient fault or
        a deleted run (the loop decides)."""
        store = self._ensure_store()
        if self.deleted:
            self._pending.discard_journal()
            return
        self._pending.write(store, everything)

    def _warn_once(self, kind: str, message: str) -> None:
        if kind not in self._warned:
            self._warned.add(kind)
            _warn(message)


def identity_of(store: Store | None) -> str | None:
    """The store's identity, or None where it cannot say now (journal/files.journal_dir)."""
    if store is None:
        return None
    try:
        return store.identity()
    except Exception:
        return None


def _warn(message: str) -> None:
    """warnings.warn from a background thread; never let a warnings filter set to "error"
    turn it into an exception that would kill the writer."""
    with contextlib.suppress(Exception):
        warnings.warn(message, TrainboardWarning, stacklevel=2)
