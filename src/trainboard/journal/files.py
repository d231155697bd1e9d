"""The run journal: where `log()` puts points, so a killed process loses none it accepted.

Why: the writer thread batches points into the store every flush interval, so a process
killed with SIGKILL (or by the OOM killer) would lose whatever waited in memory. Instead
`log()` writes each call into a memory-mapped file; once it returns, the bytes are in the
kernel's page cache, which outlives the process. The run's writer thread reads the journal
into the store and then forgets what the store has; the next trainboard process that opens
the store (`journal.recovery`) writes the journals of dead processes and marks their runs
crashed. The journal is also where points wait while the store is down, so an outage costs
disk, not memory. Power loss or a kernel crash can still lose what the kernel had not
written back; that is out of scope (as it is for SQLite with synchronous=NORMAL).

Files, in `journal_dir(url)`:

    RUN.keys        JSON lines: a header {"run": RunRecord fields, "url", "pid", "store"},
                    then one {"kid": K, "keys": [...]} per set of keys log() has seen,
                    {"created": 1} once the store has the run, and {"store": ID} when the
                    store's identity was learnt after the journal was made (it was down).
                    The live writer holds an flock on it: a journal whose lock is free
                    belongs to a dead process.
    RUN.NNNNNN.seg  segments of `SEGMENT_BYTES`: a 16-byte header (magic, then the u64 offset up
                    to which the store has the points), then 8-byte aligned records
                    `u32 kid, u32 n, i64 step, f64 wall time, n x f64 values`. kid 0 marks the end
                    of what is written so far; `END` the end of the segment.
    RUN.final.json  the run's final fields, when finish() gave up before the store had them.
    RUN.PID.NNNNNN.media  media log() queued and the store may not have yet (journal/media.py).

A record's header is written after its body, so a reader never takes a half-written record.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import mmap
import os
import struct
import threading
import time
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson

MAGIC = b"TBJRNL01"
HEADER = 16
END = 0xFFFFFFFF
FULL_RETRY_S = 1.0
"""After a failed try to grow the journal (a full disk), the next try waits this long."""
SEGMENT_BYTES = 8 << 20
"""A segment holds ~150,000 log() calls of 4 scalars; a full one is read and deleted."""

_HEAD = struct.Struct("<II")
_COMMITTED = struct.Struct("<Q")

Columns = dict[str, list[tuple[npt.NDArray[np.int64], npt.NDArray[np.float64], Any]]]
"""Per key, the (steps, times, values) arrays read so far, in journal order."""


def _url_id(url: str) -> str:
    return hashlib.sha1(store_key(url).encode()).hexdigest()[:16]


_LOOPBACK = ("localhost", "127.0.0.1", "::1", "[::1]")


def store_key(url: str) -> str:
    """One name for one store however its URL is spelled, for when its identity is not
    known (the store was down): for PostgreSQL the driver (postgres://,
    postgresql+psycopg://), the password, the default port 5432 and which loopback name is
    used do not matter, so `…@127.0.0.1:5432/db` and `…@localhost/db` are one store; for a
    server, `http://localhost:8000/` and `http://127.0.0.1:8000` are one. Other URLs as they
    are."""
    from trainboard.store.url import StoreURL

    if StoreURL.is_remote(url):
        from urllib.parse import urlsplit

        try:
            parts = urlsplit(url.strip())
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            return url
        name = (parts.hostname or "localhost").lower()
        name = "localhost" if name in _LOOPBACK else name
        return f"{parts.scheme.lower()}://{name}:{port}{parts.path.rstrip('/')}"
    if not StoreURL.is_sql(url) or StoreURL.parse(url).engine != "postgresql":
        return url
    from sqlalchemy.engine import make_url

    try:
        u = make_url("postgresql://" + url.split("://", 1)[1])
    except Exception:  # not a URL sqlalchemy reads: the store will say so when opened
        return url
    host = (u.host or "localhost").lower()
    host = "localhost" if host in _LOOPBACK else host
    return f"postgresql://{u.username or ''}@{host}:{u.port or 5432}/{u.database or ''}"


def _sqlite_file(url: str) -> str | None:
    """The file path of a sqlite:/// URL on disk (None for in-memory or other engines)."""
    from trainboard.store.url import StoreURL

    if not StoreURL.is_sql(url):
        return None
    path = StoreURL.parse(url).sqlite_path
    return None if path is None else str(path)


def journal_dir(url: str, identity: str | None = None) -> Path:
    """Journals of the runs that write to `url`: beside a SQLite file, else under
    TRAINBOARD_HOME/journals (PostgreSQL, remote servers) in a folder named for the store's
    `identity` (Store.identity()), or, while that is unknown (the store is down), for its
    URL (store_key). Recovery finds a journal by the identity in its keys file, whichever
    folder it is in (journal/recovery.py)."""
    path = _sqlite_file(url)
    if path is not None:
        return Path(path + ".journals")
    from trainboard import settings

    if identity:
        return settings.home() / "journals" / ("id-" + identity[:32])
    return settings.home() / "journals" / _url_id(url)


def journal_folders() -> list[Path]:
    """Every journal folder under TRAINBOARD_HOME/journals (any store, any spelling)."""
    from trainboard import settings

    root = settings.home() / "journals"
    try:
        return sorted(p for p in root.iterdir() if p.is_dir())
    except OSError:
        return []


@dataclass
class Kind:
    """One set of keys, in the order log() got them; `body` packs step, time and values."""

    kid: int
    keys: tuple[str, ...]
    body: struct.Struct
    size: int


def _dtype(n: int) -> np.dtype[Any]:
    return np.dtype(
        [("kid", "<u4"), ("n", "<u4"), ("step", "<i8"), ("t", "<f8"), ("v", "<f8", (n,))]
    )


def parse(
    buf: Any, start: int, stop: int, kinds: dict[int, tuple[str, ...]], out: Columns
) -> tuple[int, bool]:
    """Read the records of `buf[start:stop]` into `out`; return (where it stopped, whether it
    reached the segment's END). Runs of records with one kid are read as one numpy view."""
    pos = start
    while pos + 8 <= stop:
        kid, n = _HEAD.unpack_from(buf, pos)
        if kid == 0:
            break
        if kid == END:
            return pos, True
        keys = kinds.get(kid)
        if keys is None or len(keys) != n:
            break  # not ours to guess: the rest stays in the file
        size = 24 + 8 * n
        count = (stop - pos) // size
        if count == 0:
            break
        arr = np.frombuffer(buf, dtype=_dtype(n), count=count, offset=pos)
        same = arr["kid"] == kid
        m = count if bool(same.all()) else int(same.argmin())
        steps = arr["step"][:m].copy()
        times = arr["t"][:m].copy()
        values = arr["v"][:m].copy()
        del arr, same
        for i, key in enumerate(keys):
            out.setdefault(key, []).append((steps, times, values[:, i]))
        pos += m * size
    return pos, False


@dataclass
class _Segment:
    no: int
    path: Path
    fd: int
    mm: mmap.mmap
    read: int = HEADER  # where the writer thread goes on reading
    ended: bool = False  # log() moved on to the next segment


Mark = tuple[_Segment, int, int]
"""(segment, where a read started, where it stopped)."""


class Journal:
    """One run's journal, written by log() (under `lock`) and read by the run's writer."""

    def __init__(
        self,
        folder: Path,
        run: dict[str, Any],
        url: str,
        segment_bytes: int = SEGMENT_BYTES,
        identity: str | None = None,
    ) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.run_id = str(run["id"])
        self.lock = threading.Lock()
        self.kinds: dict[tuple[str, ...], Kind] = {}
        self.keys_of: dict[int, tuple[str, ...]] = {}
        self._segment_bytes = segment_bytes
        self._keys = os.open(
            folder / f"{self.run_id}.keys", os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600
        )
        fcntl.flock(self._keys, fcntl.LOCK_EX | fcntl.LOCK_NB)
        self.identity = identity
        header = {"run": run, "url": url, "pid": os.getpid(), "store": identity}
        os.write(self._keys, orjson.dumps(header) + b"\n")
        self.segments: list[_Segment] = []
        self._next_no = 0
        self.mm: mmap.mmap
        self.off = 0
        self.cap = 0
        self._detached = False
        self._full_until = 0.0  # until when the disk is taken to be full (roll() failed)
        self._open_segment()
        _LIVE.add(self)

    # the log() side (callers hold `lock`) -----------------------------------------------
    def add_kind(self, keys: tuple[str, ...]) -> Kind:
        """Register a new set of keys (checked by the caller) before its first record."""
        with self.lock:
            kind = self.kinds.get(keys)
            if kind is not None:
                return kind
            kid = len(self.kinds) + 1
            os.write(self._keys, orjson.dumps({"kid": kid, "keys": list(keys)}) + b"\n")
            n = len(keys)
            kind = Kind(kid, keys, struct.Struct(f"<qd{n}d"), 24 + 8 * n)
            self.keys_of[kid] = keys
            self.kinds[keys] = kind
            return kind

    def full(self) -> bool:
        """True while the last try to grow the journal failed less than FULL_RETRY_S ago."""
        return self._full_until > 0.0 and time.monotonic() < self._full_until

    def fits(self, kind: Kind) -> bool:
        return kind.size <= self._segment_bytes - HEADER - 8

    def append(self, kind: Kind, step: int, wall: float, values: Any) -> None:
        """One record; raises OverflowError/struct.error for a value that is no float64
        (nothing is written then) and OSError when no new segment can be made."""
        with self.lock:
            off = self.off
            end = off + kind.size
            if end > self.cap:
                if not self.fits(kind):
                    raise OSError(f"a log() of {len(kind.keys)} keys is larger than a segment")
                self.roll()
                off = self.off
                end = off + kind.size
            kind.body.pack_into(self.mm, off + 8, step, wall, *values)
            _HEAD.pack_into(self.mm, off, kind.kid, len(kind.keys))
            self.off = end

    def roll(self) -> None:
        """Start the next segment (its space reserved up front, so a full disk raises OSError
        here, never SIGBUS on a later write) and end the current one with END."""
        if self._detached:  # a forked child: its records go nowhere (see _detach)
            self.off = HEADER
            return
        if self.full():
            # the disk was full a moment ago: say so at once, without a try at the disk in
            # every log() (an open, a fallocate and an unlink cost log() 10x its time)
            raise OSError(errno.ENOSPC, f"no room for the journal's next segment in {self.folder}")
        old, old_mm, old_off = self.segments[-1], self.mm, self.off
        try:
            self._open_segment()
        except OSError:
            self._full_until = time.monotonic() + FULL_RETRY_S
            raise
        self._full_until = 0.0
        _HEAD.pack_into(old_mm, old_off, END, 0)  # cap leaves 8 bytes for it
        old.ended = True

    def _open_segment(self) -> None:
        no = self._next_no
        path = self.folder / f"{self.run_id}.{no:06d}.seg"
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.posix_fallocate(fd, 0, self._segment_bytes)
            mm = mmap.mmap(fd, self._segment_bytes)
        except BaseException:
            os.close(fd)
            with contextlib.suppress(OSError):
                path.unlink()
            raise
        mm[:8] = MAGIC
        _COMMITTED.pack_into(mm, 8, HEADER)
        self._next_no = no + 1
        self.segments.append(_Segment(no, path, fd, mm))
        self.mm = mm
        self.off = HEADER
        self.cap = self._segment_bytes - 8  # room for the END marker

    def _detach(self) -> None:
        """In a forked child (a DataLoader worker): never write the parent's files. The child
        has no writer thread, so what it logs was never stored; now it is not written over the
        parent's records either. The lock is new: the parent's writer may have held it."""
        self.lock = threading.Lock()
        self.segments = []
        self.mm = mmap.mmap(-1, self._segment_bytes)
        self.off = HEADER
        self.cap = self._segment_bytes - 8
        self._detached = True

    # the writer side --------------------------------------------------------------------
    def read(self, out: Columns, max_bytes: int = SEGMENT_BYTES) -> list[Mark]:
        """Read what log() has written since the last read into `out` (about `max_bytes` at
        most); return the marks to `commit` once the store has it, or to `rewind`."""
        marks: list[Mark] = []
        budget = max_bytes
        with self.lock:
            segments = list(self.segments)
            live_off = self.off
        for seg in segments:
            if budget <= 0:
                break
            stop = len(seg.mm) if seg.ended else live_off
            stop = min(stop, seg.read + budget)
            start = seg.read
            pos, _ = parse(seg.mm, start, stop, self.keys_of, out)
            budget -= pos - start
            seg.read = pos
            marks.append((seg, start, pos))
            if not seg.ended:
                break
        return marks

    def commit(self, marks: list[Mark]) -> None:
        """The store has everything up to `marks`: note it, delete segments read to the end."""
        for seg, _, pos in marks:
            _COMMITTED.pack_into(seg.mm, 8, pos)
            if seg.ended and (pos + 8 > len(seg.mm) or _HEAD.unpack_from(seg.mm, pos)[0] == END):
                with self.lock:
                    self.segments.remove(seg)
                seg.mm.close()
                os.close(seg.fd)
                with contextlib.suppress(OSError):
                    seg.path.unlink()

    @staticmethod
    def rewind(marks: list[Mark]) -> None:
        """A write failed: read the same records again next time."""
        for seg, start, _ in marks:
            seg.read = start

    def know_store(self, identity: str | None) -> None:
        """The store's identity, learnt once it could be opened: written to the keys file
        (once), so recovery matches this journal to its store however the URL was spelled."""
        if not identity or identity == self.identity:
            return
        self.identity = identity
        with contextlib.suppress(OSError):
            os.write(self._keys, orjson.dumps({"store": identity}) + b"\n")

    def created(self) -> None:
        """The store has the run: recovery must not create it again if it is deleted."""
        os.write(self._keys, b'{"created":1}\n')

    def keep_final(self, fields: dict[str, Any]) -> Path:
        """Leave the run's final fields for recovery (finish() gave up); return the file."""
        path = self.folder / f"{self.run_id}.final.json"
        path.write_bytes(orjson.dumps(fields))
        return path

    def close(self, remove: bool) -> None:
        """Unmap; with `remove` (the store has everything) delete the journal's files."""
        with self.lock:
            segments, self.segments = self.segments, []
        for seg in segments:
            with contextlib.suppress(Exception):
                seg.mm.close()
            with contextlib.suppress(OSError):
                os.close(seg.fd)
            if remove:
                with contextlib.suppress(OSError):
                    seg.path.unlink()
        if remove:
            for path in (
                self.folder / f"{self.run_id}.final.json",
                self.folder / f"{self.run_id}.keys",
            ):
                with contextlib.suppress(OSError):
                    path.unlink()
            with contextlib.suppress(OSError):
                self.folder.rmdir()  # only when no other run's journal is there
        with contextlib.suppress(OSError):
            os.close(self._keys)


_LIVE: weakref.WeakSet[Journal] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    for journal in list(_LIVE):
        journal._detach()


os.register_at_fork(after_in_child=_after_fork_in_child)
