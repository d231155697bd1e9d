"""What a run's writer holds between the training thread and the store, and one attempt to
write it.

The training thread appends to the queues (`points`, `texts_q`...: a deque append needs no
lock); the writer thread `drain()`s them, points into the journal (else memory) and records
into lists of its own, then `write()`s what is pending. Batches are built here, and a
permanent fault is dealt with here: the batch is split by key (points) or by row (records)
and what the store refuses alone goes to the dead-letter file beside it, reported through
`on_aside`. When to try again is the writer's business (trainboard.sdk.writer): a transient
fault or a deleted run is raised to it.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trainboard.journal.media import MediaJournal, QueuedMedia, Written, encode_all
from trainboard.journal.recovery import (
    batches_of,
    fault_kind,
    point_rows,
    set_aside,
    write_points_or_set_aside,
)
from trainboard.sdk.validate import as_float

if TYPE_CHECKING:
    from trainboard.journal.files import Columns, Journal
    from trainboard.store.base import Store
    from trainboard.store.records import ArtifactRecord, HistogramRecord, PointBatch, TextRecord

_READS_PER_WRITE = 64  # journal reads per wake-up...
_READ_BYTES = 1 << 20  # ...of at most this much each (~75,000 points): short GIL holds
MEDIA_CHUNK = 8  # media items encoded before a write
_LIFE_FIELDS = frozenset({"heartbeat_at", "status", "finished_at"})
"""Run fields that are the run's life, never set aside (set_aside_stuck)."""


class Pending:
    """One run's data on its way to the store: queued by the training thread, taken and
    written by the writer thread."""

    def __init__(
        self,
        run_id: str,
        url: str,
        journal: Journal | None,
        on_aside: Callable[[Path, str], None],
        media_journal: MediaJournal | None = None,
    ) -> None:
        self._run_id = run_id
        self._media_journal = media_journal  # queued media kept until written
        self._url = url
        self._journal = journal
        self._on_aside = on_aside
        # Shared with the training thread (append-only there).
        self.points: deque[tuple[int, float, dict[str, Any]]] = deque()
        self.updates_q: deque[dict[str, Any]] = deque()
        self.texts_q: deque[TextRecord] = deque()
        self.hists_q: deque[HistogramRecord] = deque()
        self.artifacts_q: deque[ArtifactRecord] = deque()
        self.calls_q: deque[tuple[str | Callable[..., Any], tuple[Any, ...]]] = deque()
        self.media_q: deque[QueuedMedia] = deque()
        self.media_progress = 0  # media chunks encoded and batches written so far
        self.written = 0  # points the store has (writer thread)

        # Writer-side buffers: taken from the queues but not yet in the store.
        self._mem: dict[str, tuple[list[int], list[float], list[float]]] = {}
        self._mem_count = 0
        # values queued in `points`: enqueued counted by the caller's thread, drained by the
        # writer's, each counter written by one thread only
        self.enqueued_values = 0
        self.drained_values = 0
        self.updates: dict[str, Any] = {}
        self._texts: list[TextRecord] = []
        self._hists: list[HistogramRecord] = []
        self._artifacts: list[ArtifactRecord] = []
        self._calls: list[tuple[str | Callable[..., Any], tuple[Any, ...]]] = []
        self._media: list[QueuedMedia] = []  # taken, not encoded yet
        self._media_ready: list[Written] = []  # encoded, not written yet
        self._media_sent: set[str] = set()  # digests this run has written
        self.final: dict[str, Any] | None = None  # the run's last fields, written last
        self.stage = ""  # the part write() was writing when it last raised

    @property
    def unsent(self) -> int:
        """Texts, histograms and artifacts taken but not written (they have no journal)."""
        return len(self._texts) + len(self._hists) + len(self._artifacts) + self.media_pending

    def drain(self) -> None:
        """Take what the queues hold: points into the journal (else memory), records into
        the writer's lists."""
        points = self.points
        journal = self._journal
        if journal is not None and journal.full():
            journal = None  # a full disk: memory, without a try at the disk per point
        while points:
            step, wall, data = points.popleft()
            values = {k: v if type(v) is float else _float_or_nan(v) for k, v in data.items()}
            if not self._journalled(journal, step, wall, values):
                self._remember(step, wall, values)
            # counted as drained only once remembered: in_memory never reads low
            self.drained_values += len(data)
        while self.updates_q:
            self.updates.update(self.updates_q.popleft())
        while self.texts_q:
            self._texts.append(self.texts_q.popleft())
        while self.hists_q:
            self._hists.append(self.hists_q.popleft())
        while self.artifacts_q:
            self._artifacts.append(self.artifacts_q.popleft())
        while self.calls_q:
            self._calls.append(self.calls_q.popleft())
        while self.media_q:
            self._media.append(self.media_q.popleft())

    @staticmethod
    def _journalled(
        journal: Journal | None, step: int, wall: float, values: dict[str, float]
    ) -> bool:
        if journal is None:
            return False
        try:
            kind = journal.kinds.get(tuple(values)) or journal.add_kind(tuple(values))
            if journal.fits(kind):
                journal.append(kind, step, wall, values.values())
                return True
        except OSError:
            pass  # a full disk: memory keeps them (bounded by Writer.enqueue_points)
        return False

    @property
    def in_memory(self) -> int:
        """Point values held in memory: queued, and taken but not yet written."""
        return self.enqueued_values - self.drained_values + self._mem_count

    def _remember(self, step: int, wall: float, values: dict[str, float]) -> None:
        for key, value in values.items():
            buf = self._mem.get(key)
            if buf is None:
                buf = self._mem[key] = ([], [], [])
            buf[0].append(step)
            buf[1].append(wall)
            buf[2].append(value)
        self._mem_count += len(values)

    def write(self, store: Store, everything: bool) -> None:
        """One attempt to put what is pending into the store; each part is forgotten once
        written. Raises on a transient fault or a deleted run (the caller decides)."""
        run_id, url = self._run_id, self._url
        journal = self._journal
        if journal is not None:
            self.stage = "journal"
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
                            lambda p, k: self._on_aside(p, f"points of {k!r}"),
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
            self.stage = "memory"
            batches = _mem_batches(self._mem)
            write_points_or_set_aside(
                store, url, run_id, batches, lambda p, k: self._on_aside(p, f"points of {k!r}")
            )
            self.written += self._mem_count
            self._mem, self._mem_count = {}, 0
        if self._texts:
            self.stage = "texts"
            self._each(self._texts, lambda rows: store.write_texts(run_id, rows), "texts")
            self._texts = []
        if self._hists:
            self.stage = "histograms"
            self._each(self._hists, lambda rows: store.write_histograms(run_id, rows), "histograms")
            self._hists = []
        if self._media or self._media_ready:
            self.stage = "media"
            self._write_media(store)
        while self._artifacts:
            self.stage = "artifact"
            self._each(
                self._artifacts[:1], lambda rows: store.add_artifact(run_id, rows[0]), "an artifact"
            )
            self._artifacts.pop(0)
        while self._calls:
            self.stage = "call"
            name, args = self._calls[0]
            if callable(name):  # a function of (store, run_id, *args): sdk/ranks.py's ends
                fn, what = name, getattr(name, "__name__", "a call")
                self._each([args], lambda rows: fn(store, run_id, *rows[0]), what)  # noqa: B023
            else:
                call = getattr(store, name)
                self._each([args], lambda rows: call(run_id, *rows[0]), name)  # noqa: B023
            self._calls.pop(0)
        if self.final is not None:
            self.updates.update(self.final)
        if self.updates:
            self.stage = "updates"
            updates, self.updates = self.updates, {}
            try:
                store.update_run(run_id, **updates)
            except Exception as exc:
                if fault_kind(exc) != "permanent":
                    self.updates = {**updates, **self.updates}
                    raise
                # field by field: a config the store refuses never holds back the heartbeat
                # or the final status
                left = dict(updates)
                for name, value in updates.items():
                    try:
                        self._each(
                            [{name: value}],
                            lambda rows: store.update_run(run_id, **rows[0]),
                            f"run field {name}",
                        )
                    except Exception:
                        self.updates = {**left, **self.updates}
                        raise
                    del left[name]

    def _write_media(self, store: Store) -> None:
        """Encode what was taken (once, MEDIA_CHUNK items at a time, so a long queue is
        written as it is encoded), then write it batch by batch; a batch the store refuses
        for good is set aside without its bytes (their keys, steps and digests)."""
        while self._media or self._media_ready:
            if not self._media_ready:
                chunk, self._media = self._media[:MEDIA_CHUNK], self._media[MEDIA_CHUNK:]
                self._media_ready = encode_all(chunk, self._media_sent, self._media_failed)
                self.media_progress += 1
                continue
            batch = self._media_ready[0]
            try:
                store.write_media(self._run_id, batch.records, batch.blobs)
            except Exception as exc:
                if fault_kind(exc) != "permanent":
                    raise
                rows = [
                    {"key": r.key, "step": r.step, "kind": r.kind, "digest": r.digest}
                    for r in batch.records
                ]
                self._on_aside(set_aside(self._url, self._run_id, "media", rows, exc), "media")
            else:
                self._media_sent.update(batch.blobs)
            self._forget(q.kept for q in batch.queued)  # in the store, or set aside
            self.media_progress += 1
            self._media_ready.pop(0)

    def _forget(self, segments: Iterable[int | None]) -> None:
        if self._media_journal is not None:
            self._media_journal.forget(segments)

    @property
    def media_pending(self) -> int:
        """Media logged and not written yet (queued, taken or encoded)."""
        ready = sum(len(b.records) for b in self._media_ready)
        return len(self.media_q) + len(self._media) + ready

    def _media_failed(self, item: QueuedMedia, exc: BaseException) -> None:
        """An item that could not be encoded: left out, reported like a refused write."""
        row = {"key": item.key, "step": item.step, "kind": item.value.kind}
        what = f"the {item.value.kind} {item.key!r}"
        self._on_aside(set_aside(self._url, self._run_id, what, [row], exc), what)
        self._forget([item.kept])

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
                self._on_aside(set_aside(self._url, self._run_id, what, [data], exc), what)
                return
        for row in rows:
            self._each([row], write, what)

    def set_aside_stuck(self, exc: BaseException) -> tuple[str, Path | None]:
        """Set aside the part that write() keeps failing on (`stage`), so the rest can be
        written: (what it was, the dead-letter file; None when nothing was set aside)."""
        run_id, url = self._run_id, self._url
        stage = self.stage

        def aside(what: str, rows: Any) -> Path:
            return set_aside(url, run_id, what, rows, exc)

        if stage == "journal" and self._journal is not None:
            columns: Columns = {}
            marks = self._journal.read(columns, max_bytes=_READ_BYTES)
            path = None
            batches = batches_of(columns)
            for key, batch in batches.items():
                path = aside(f"points {key}", point_rows(batch))
            self._journal.commit(marks)
            n = sum(len(b.steps) for b in batches.values())
            return f"a batch of {n} points ({', '.join(sorted(batches))[:200]})", path
        if stage == "memory" and self._mem:
            path = None
            for key, batch in _mem_batches(self._mem).items():
                path = aside(f"points {key}", point_rows(batch))
            n, self._mem, self._mem_count = self._mem_count, {}, 0
            return f"{n} points kept in memory", path
        if stage == "texts" and self._texts:
            texts, self._texts = self._texts, []
            return f"{len(texts)} texts", aside("texts", [r.__dict__ for r in texts])
        if stage == "histograms" and self._hists:
            hists, self._hists = self._hists, []
            return f"{len(hists)} histograms", aside("histograms", [r.__dict__ for r in hists])
        if stage == "media" and self._media_ready:
            written = self._media_ready.pop(0)
            items = [{"key": r.key, "step": r.step, "kind": r.kind, "digest": r.digest}
                     for r in written.records]  # fmt: skip
            return f"{len(items)} media items", aside("media", items)
        if stage == "artifact" and self._artifacts:
            row = self._artifacts.pop(0)
            return "an artifact", aside("an artifact", [row.__dict__])
        if stage == "call" and self._calls:
            name, args = self._calls.pop(0)
            what = name if isinstance(name, str) else getattr(name, "__name__", "a call")
            return f"the call {what}", aside(f"call {what}", [repr(args)])
        if stage == "updates" and self.updates:
            keep = {k: v for k, v in self.updates.items() if k in _LIFE_FIELDS}
            rest = {k: v for k, v in self.updates.items() if k not in _LIFE_FIELDS}
            if not rest:
                return "", None  # only the run's life (heartbeat, status): never set aside
            self.updates = keep
            return f"the run fields {sorted(rest)}", aside("run fields", [rest])
        return "", None

    def discard(self) -> None:
        """The run was deleted: forget what was taken for it, so memory does not grow while
        training goes on."""
        self._mem.clear()
        self._mem_count = 0
        self.updates.clear()
        self._texts.clear()
        self._hists.clear()
        self._artifacts.clear()
        self._forget(q.kept for q in self._media)
        self._forget(q.kept for b in self._media_ready for q in b.queued)
        self._media.clear()
        self._media_ready.clear()

    def discard_journal(self) -> None:
        """Read the journal to its end and forget it: a deleted run's points are dropped."""
        if self._journal is None:
            return
        while True:
            columns: Columns = {}
            segments = len(self._journal.segments)
            marks = self._journal.read(columns, max_bytes=_READ_BYTES)
            self._journal.commit(marks)
            if not columns and len(self._journal.segments) == segments:
                return
            time.sleep(0.001)  # a deleted run's points are dropped: no hurry


def _float_or_nan(value: Any) -> float:
    try:
        return as_float(value)
    except Exception:  # a tensor that cannot be read: keep the step as NaN
        return math.nan


def _mem_batches(
    mem: dict[str, tuple[list[int], list[float], list[float]]],
) -> dict[str, PointBatch]:
    from trainboard.store.records import PointBatch

    return {k: PointBatch.of(*cols) for k, cols in mem.items()}
