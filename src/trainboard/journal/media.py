"""Media in the crash journal: each value log() queues is also kept as a file beside the
run's journal, until the store has it, so a process killed with SIGKILL loses no media it
accepted (the points journal, journal/files.py, does the same for points).

Files, in `journal_dir(url)`, beside RUN.keys:

    RUN.media/PID-NNNNNNNNNN.pkl   one queued item (key, step, index, wall time, value),
                                   pickled as logged: not encoded (log() stays cheap), so
                                   a numpy array or a PIL image costs one copy to the page
                                   cache. Written to a temporary name and renamed, so a kill
                                   leaves a whole file or none.

The writer thread deletes a file once its item is in the store (or set aside, or could not be
encoded). Recovery (journal/recovery.py, for a dead process: `left_behind`, `encode_all`) encodes
what is left and writes it, skipping items the store already has (the writer may have been
killed between writing and deleting).

Why pickle, and how it is kept safe: the values are the SDK's own media objects with their
arrays, bytes and PIL images; a format of our own would repeat each type's fields. The files
sit in the user's own journal folder, and `load` only lets pickle build the media classes,
numpy arrays and PIL images (any other global is refused), so a file cannot run code.

Not journalled: a torch tensor on a device (copying it here would make log() wait for the
device; it is kept in memory, as before) and media of a run without a journal.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import os
import pickle
from collections.abc import Callable, Iterable
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
    kept: Path | None = None  # its file in the crash journal, if any


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


def media_dir(folder: Path, run_id: str) -> Path:
    return folder / f"{run_id}.media"


class MediaJournal:
    """One run's media files, written by log() and deleted by the writer thread."""

    def __init__(self, folder: Path, run_id: str) -> None:
        self.dir = media_dir(folder, run_id)
        self._seq = itertools.count()

    def keep(self, item: QueuedMedia) -> Path | None:
        """Write `item` to its file; None when it stays in memory only (not journalled, or
        the disk refused: the writer still has it)."""
        try:
            data = pickle.dumps(
                (item.key, item.step, item.index, item.wall_time, item.value), protocol=5
            )
        except NotJournalled:
            return None
        path = self.dir / f"{os.getpid()}-{next(self._seq):010d}.pkl"
        tmp = path.with_suffix(".tmp")
        try:
            self.dir.mkdir(exist_ok=True)
            with open(tmp, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        except OSError:
            with contextlib.suppress(OSError):
                tmp.unlink()
            return None
        return path

    @staticmethod
    def forget(paths: Iterable[Path | None]) -> None:
        """The store has these items (or never will): delete their files."""
        for p in paths:
            if p is not None:
                with contextlib.suppress(OSError):
                    p.unlink()

    def close(self) -> None:
        """The run ended with everything written: remove the folder if it is empty."""
        with contextlib.suppress(OSError):
            self.dir.rmdir()


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


def load(path: Path) -> QueuedMedia:
    """The item kept in `path` (pickle.UnpicklingError for a file that is not one)."""
    key, step, index, wall, value = _Unpickler(io.BytesIO(path.read_bytes())).load()
    return QueuedMedia(str(key), int(step), int(index), float(wall), value)


def left_behind(
    folder: Path, run_id: str, unreadable: Callable[[Path, BaseException], None]
) -> tuple[list[Path], list[QueuedMedia]]:
    """The files a dead process left for `run_id` and the items they hold, in the order they
    were logged; `unreadable(path, error)` for a file that is not one of ours. Recovery
    (journal/recovery.py) writes the items, then `forget`s the files and `clear`s the rest."""
    where = media_dir(folder, run_id)
    if not where.is_dir():
        return [], []
    paths = sorted(where.glob("*.pkl"))
    queued = []
    for p in paths:
        try:
            queued.append(load(p))
        except Exception as exc:
            unreadable(p, exc)
    return paths, queued


def clear(folder: Path, run_id: str) -> None:
    """Remove what is left of the run's media folder (files cut short by the kill: never
    renamed into place, so never accepted by log())."""
    import shutil

    shutil.rmtree(media_dir(folder, run_id), ignore_errors=True)
