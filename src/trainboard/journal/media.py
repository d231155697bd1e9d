"""Media in the crash journal: each value log() queues is also appended, as logged, to a
file beside the run's journal until the store has it, so a process killed with SIGKILL loses
no media it accepted (the points journal, journal/files.py, does the same for points).

Files, in `journal_dir(url)`, beside RUN.keys:

    RUN.PID.NNNNNN.media   segments of records `b"TBMJ", u64 length, pickle`: one queued
                           item each (key, step, index, wall time, value), not encoded (log()
                           stays cheap: a numpy array or a PIL image costs one pickle and one
                           write() to the page cache, which outlives the process). A record
                           cut short by the kill was never accepted by log(), and is skipped.

The writer thread counts, per segment, the items not yet in the store (written, set aside or
unencodable all count as done); a segment log() has moved on from is deleted once its count is
zero, and the last one when the run ends. Recovery (journal/recovery.py, for a dead process:
`left_behind`, `encode_all`) encodes what the segments hold and writes it, skipping items the
store already has (most of a segment may have been written before the kill).

Why pickle, and how it is kept safe: the values are the SDK's own media objects with their
arrays, bytes and PIL images; a format of our own would repeat each type's fields. The files
sit in the user's own journal folder, and the loader only lets pickle build the media
classes, numpy arrays and PIL images (any other global is refused), so a file cannot run code.

Not journalled: a torch tensor on a device (copying it here would make log() wait for the
device; it is kept in memory, as before), media logged in a forked child, and media of a run
without a journal.
"""

from __future__ import annotations

import contextlib
import io
import os
import pickle
import struct
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trainboard.store.mediarecords import Blob, MediaRecord, digest_of

BATCH_BYTES = 16 << 20  # bytes of media per write_media call


@dataclass
class QueuedMedia:
    """One media value logged and not yet in the store. `value` is one of the SDK's media
    objects (trainboard.sdk.media): anything with `kind`, `caption` and `encode()`."""

    key: str
    step: int
    index: int
    wall_time: float
    value: Any
    kept: int | None = None  # its segment in the crash journal, if any


@dataclass
class Written:
    """What one batch holds for write_media."""

    records: list[MediaRecord]
    blobs: dict[str, Blob]
    queued: list[QueuedMedia]


def encode_all(queued: Iterable[QueuedMedia], sent: set[str], on_error: Any) -> list[Written]:
    """Encode queued items into write_media batches of about BATCH_BYTES; `on_error(item,
    exc)` for one that cannot be encoded. `sent`: digests written already (their bytes are
    left out). The writer thread and recovery both write media through this."""
    out: list[Written] = []
    cur = Written([], {}, [])
    size = 0
    for q in queued:
        try:
            e = q.value.encode()
        except Exception as exc:
            on_error(q, exc)
            continue
        digest = digest_of(e.data)
        record = MediaRecord(
            key=q.key,
            step=q.step,
            kind=q.value.kind,
            digest=digest,
            mime=e.mime,
            size=len(e.data),
            wall_time=q.wall_time,
            index=q.index,
            caption=q.value.caption,
            width=e.width,
            height=e.height,
            meta=e.meta,
            uses=sorted(e.cells),
        )
        for d, (mime, data) in [(digest, (e.mime, e.data)), *e.cells.items()]:
            if d not in sent and d not in cur.blobs:
                cur.blobs[d] = Blob(mime, data)
                size += len(data)
        cur.records.append(record)
        cur.queued.append(q)
        if size >= BATCH_BYTES:
            out.append(cur)
            cur, size = Written([], {}, []), 0
    if cur.records:
        out.append(cur)
    return out


class NotJournalled(Exception):
    """Raised while pickling a value that stays in memory only (a tensor on a device)."""


SEGMENT_BYTES = 64 << 20
"""A segment is closed for new items past this size (one item may take it over)."""

MAGIC = b"TBMJ"
_HEAD = struct.Struct("<4sQ")


def _segments(folder: Path, run_id: str) -> list[Path]:
    return sorted(folder.glob(f"{run_id}.*.media"))


class MediaJournal:
    """One run's media segments: appended to by log() (any thread), counted down and deleted
    by the writer thread."""

    def __init__(self, folder: Path, run_id: str, segment_bytes: int = SEGMENT_BYTES) -> None:
        self.folder = folder
        self.run_id = run_id
        self._segment_bytes = segment_bytes
        self._pid = os.getpid()
        self._lock = threading.Lock()
        self._fd = -1
        self._no = -1  # the segment log() appends to
        self._size = 0
        self._left: dict[int, int] = {}  # segment -> items not yet done

    def _path(self, no: int) -> Path:
        return self.folder / f"{self.run_id}.{self._pid}.{no:06d}.media"

    def keep(self, item: QueuedMedia) -> int | None:
        """Append `item`; its segment's number, or None when it stays in memory only (not
        journalled, or the disk refused: the writer still has it)."""
        if os.getpid() != self._pid:
            return None  # a forked child: its parent owns these files
        try:
            data = pickle.dumps(
                (item.key, item.step, item.index, item.wall_time, item.value), protocol=5
            )
        except NotJournalled:
            return None
        record = _HEAD.pack(MAGIC, len(data)) + data
        with self._lock:
            try:
                if self._fd < 0 or (self._size and self._size + len(record) > self._segment_bytes):
                    self._roll()
                view = memoryview(record)
                while view:
                    view = view[os.write(self._fd, view) :]
            except OSError:
                return None  # a partial record at the end is skipped by the reader
            self._size += len(record)
            self._left[self._no] = self._left.get(self._no, 0) + 1
            return self._no

    def _roll(self) -> None:
        """Start the next segment; delete the one left if all its items are done."""
        old = self._no
        fd = os.open(self._path(old + 1), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        if self._fd >= 0:
            os.close(self._fd)
        self._fd, self._no, self._size = fd, old + 1, 0
        if old >= 0 and not self._left.get(old):
            self._drop(old)

    def _drop(self, no: int) -> None:
        self._left.pop(no, None)
        with contextlib.suppress(OSError):
            self._path(no).unlink()

    def forget(self, segments: Iterable[int | None]) -> None:
        """These items are in the store (or never will be): count them down, and delete the
        segments log() has left whose items are all done."""
        with self._lock:
            for no in segments:
                if no is None or no not in self._left:
                    continue
                self._left[no] -= 1
                if self._left[no] <= 0 and no != self._no:
                    self._drop(no)

    def close(self) -> None:
        """The run ended: delete every segment whose items are all done (all, when the
        store has everything); one still holding items stays for recovery."""
        with self._lock:
            if self._fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(self._fd)
                self._fd = -1
            for no in list(self._left) + [self._no]:
                if no >= 0 and not self._left.get(no):
                    self._drop(no)


_ALLOWED = {
    ("trainboard.sdk.media", "Image"),
    ("trainboard.sdk.media", "Audio"),
    ("trainboard.sdk.media", "Video"),
    ("trainboard.sdk.media", "Table"),
    ("trainboard.sdk.media", "_Source"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.numeric", "_frombuffer"),
    ("numpy._core.numeric", "_frombuffer"),
    ("PIL.Image", "Image"),
    ("builtins", "bytearray"),
}


class _Unpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _ALLOWED:
            raise pickle.UnpicklingError(f"a journalled media file names {module}.{name}")
        return super().find_class(module, name)


def _records(data: bytes) -> Iterator[bytes]:
    """The whole records of a segment, in order; stops at a record cut short by the kill."""
    pos = 0
    while pos + _HEAD.size <= len(data):
        magic, n = _HEAD.unpack_from(data, pos)
        end = pos + _HEAD.size + n
        if magic != MAGIC or end > len(data):
            return
        yield data[pos + _HEAD.size : end]
        pos = end


def load(payload: bytes) -> QueuedMedia:
    """The item of one record (pickle.UnpicklingError for one that is not ours)."""
    key, step, index, wall, value = _Unpickler(io.BytesIO(payload)).load()
    return QueuedMedia(str(key), int(step), int(index), float(wall), value)


def left_behind(
    folder: Path, run_id: str, unreadable: Callable[[Path, BaseException], None]
) -> tuple[list[Path], list[QueuedMedia]]:
    """The segments a dead process left for `run_id` and the items they hold, in the order
    they were logged; `unreadable(segment, error)` for a record that is not one of ours.
    Recovery (journal/recovery.py) writes the items, then `remove`s the segments."""
    paths = _segments(folder, run_id)
    queued = []
    for p in paths:
        try:
            data = p.read_bytes()
        except OSError as exc:
            unreadable(p, exc)
            continue
        for payload in _records(data):
            try:
                queued.append(load(payload))
            except Exception as exc:
                unreadable(p, exc)
    return paths, queued


def remove(folder: Path, run_id: str) -> None:
    """Delete the run's media segments (recovered, or of a run deleted on purpose)."""
    for p in _segments(folder, run_id):
        with contextlib.suppress(OSError):
            p.unlink()
