"""What a writer does when the store says no: retry, set aside, or stop; and how the next
process writes the journals of dead ones.

Faults come in three kinds (`fault_kind`), and each gets what PostgreSQL clients and W&B's
sync do for the same thing:

- "transient": the store is down, locked or full (connection refused, "database is locked",
  disk full). Nothing is lost: the points wait in the journal and the write is retried.
- "deleted": the run is gone (`trainboard delete` while it logs). Writing stops; training
  goes on.
- "permanent": the store refuses this data and always will (a constraint, a value it cannot
  encode). The batch is split by key; what still fails on its own goes to the dead-letter
  file beside the store (`deadletter_path`), so one bad key never takes the good ones down.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import orjson

from trainboard.errors import RunNotFoundError, StoreError, TrainboardWarning
from trainboard.journal import media
from trainboard.journal.files import (
    HEADER,
    Columns,
    _sqlite_file,
    _url_id,
    journal_dir,
    journal_folders,
    parse,
    store_key,
)
from trainboard.jsonvalues import spell
from trainboard.store.base import Store
from trainboard.store.records import PointBatch, RunRecord

FaultKind = Literal["transient", "deleted", "permanent"]


def fault_kind(exc: BaseException) -> FaultKind:
    """Classify an exception raised by a store write (see the module docstring). Which store
    errors are transient is each engine's rule, carried by `StoreError.transient` (the SQL
    engines decide it in store/sql/dialect.py); this only adds what no store decides."""
    if isinstance(exc, RunNotFoundError):
        return "deleted"
    cause: BaseException | None = exc
    while cause is not None:  # also wrapped (SQLAlchemy's StatementError around orjson's)
        if isinstance(cause, TypeError | UnicodeError | RecursionError):
            return "permanent"
        cause = cause.__cause__
    if isinstance(exc, StoreError):
        return "transient" if exc.transient else "permanent"
    if isinstance(exc, ValueError | TypeError | UnicodeError):
        return "permanent"  # a UsageError, or a driver refusing a value (psycopg and NUL)
    return "transient"  # unknown (OSError, a lost connection): keep the data and retry


def deadletter_path(url: str) -> Path:
    """Where data a store refused for good is kept: beside a SQLite file, else under
    TRAINBOARD_HOME/deadletter."""
    path = _sqlite_file(url)
    if path is not None:
        return Path(path + ".deadletter.jsonl")
    from trainboard import settings

    return settings.home() / "deadletter" / f"{_url_id(url)}.jsonl"


def set_aside(url: str, run_id: str, what: str, rows: Any, error: BaseException) -> Path:
    """Append refused data to the dead-letter file as one JSON line; return the file. Rows
    that JSON cannot hold (nested too deep for the encoder) are kept as their repr()."""
    path = deadletter_path(url)
    path.parent.mkdir(parents=True, exist_ok=True)
    line = {
        "run": run_id,
        "what": what,
        "error": f"{type(error).__name__}: {error}"[:2000],
        "at": time.time(),
        "rows": rows,
    }
    try:
        data = orjson.dumps(line, default=str)
    except TypeError:
        data = orjson.dumps({**line, "rows": repr(rows)})
    with open(path, "ab") as f:
        f.write(data + b"\n")
    return path


def point_rows(batch: PointBatch) -> list[list[Any]]:
    return [
        [int(s), float(t), spell(float(v))]
        for s, t, v in zip(batch.steps, batch.times, batch.values, strict=True)
    ]


def write_points_or_set_aside(
    store: Store,
    url: str,
    run_id: str,
    batches: dict[str, PointBatch],
    on_aside: Callable[[Path, str], None],
) -> None:
    """write_points; on a permanent fault write key by key and set aside the keys the store
    refuses on their own (calling `on_aside(file, key)`). Transient faults and a deleted run
    raise, leaving the caller to retry or stop."""
    try:
        store.write_points(run_id, batches)
        return
    except Exception as exc:
        if fault_kind(exc) != "permanent" or len(batches) == 0:
            raise
        if len(batches) == 1:
            ((key, batch),) = batches.items()
            on_aside(set_aside(url, run_id, f"points {key}", point_rows(batch), exc), key)
            return
    for key, batch in batches.items():
        write_points_or_set_aside(store, url, run_id, {key: batch}, on_aside)


def batches_of(columns: Columns) -> dict[str, PointBatch]:
    """Columns read from a journal as one PointBatch per key."""
    out: dict[str, PointBatch] = {}
    for key, parts in columns.items():
        if len(parts) == 1:
            s, t, v = parts[0]
            out[key] = PointBatch(s, t, np.ascontiguousarray(v))
        else:
            out[key] = PointBatch(
                np.concatenate([p[0] for p in parts]),
                np.concatenate([p[1] for p in parts]),
                np.concatenate([p[2] for p in parts]),
            )
    return out


def _warn(message: str) -> None:
    with contextlib.suppress(Exception):
        warnings.warn(message, TrainboardWarning, stacklevel=3)


@dataclass
class _KeysFile:
    """What a journal's keys file says: its run, its sets of keys, whether the store has the
    run, and which store it was made for (identity, when known, and URL)."""

    header: dict[str, Any] = field(default_factory=dict)
    kinds: dict[int, tuple[str, ...]] = field(default_factory=dict)
    created: bool = False
    store: str | None = None

    @classmethod
    def read(cls, path: Path) -> _KeysFile:
        out = cls()
        for line in path.read_bytes().splitlines():
            try:
                rec = orjson.loads(line)
            except orjson.JSONDecodeError:
                continue  # cut short by the kill
            if "kid" in rec:
                out.kinds[int(rec["kid"])] = tuple(rec["keys"])
            elif "created" in rec:
                out.created = True
            elif "run" in rec:
                out.header = rec
                out.store = rec.get("store") or out.store
            elif rec.get("store"):
                out.store = str(rec["store"])  # learnt after the journal was made
        return out


class _Mine:
    """Which journals belong to one store: those made for its identity, or, where either
    side does not know the identity, for its URL however spelled (files.store_key)."""

    def __init__(self, store: Store, url: str) -> None:
        self.key = store_key(url)
        try:
            self.identity = store.identity()
        except Exception:  # the store cannot say now: the URL decides
            self.identity = None

    def __call__(self, keys: _KeysFile) -> bool:
        if keys.store and self.identity:
            return keys.store == self.identity
        return store_key(str(keys.header.get("url") or "")) == self.key


def recover_orphans(store: Store, url: str, folder: Path | None = None) -> list[str]:
    """Write the journals of dead processes into `store` and mark their runs crashed (or give
    them the final status finish() left); return the ids of the runs recovered. Journals of
    live processes (their lock is held) are left alone. `folder`: these journals, whichever
    store they were made for (`trainboard sync`); default: a SQLite file's journals beside
    it, else every journal under TRAINBOARD_HOME/journals made for this store (by its
    identity, or its URL however spelled where the identity was not known)."""
    if folder is not None:
        return _recover_folder(store, url, folder, None)
    if _sqlite_file(url):
        return _recover_folder(store, url, journal_dir(url), None)
    mine = _Mine(store, url)
    found: list[str] = []
    for each in journal_folders():
        found += _recover_folder(store, url, each, mine)
    return found


def _recover_folder(
    store: Store, url: str, folder: Path, mine: Callable[[_KeysFile], bool] | None
) -> list[str]:
    if not folder.is_dir():
        return []
    done: list[str] = []
    for keys_path in sorted(folder.glob("*.keys")):
        try:
            fd = os.open(keys_path, os.O_RDWR)
        except OSError:
            continue
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                continue  # a live writer owns it
            if not keys_path.exists():
                continue  # recovered by another process while we waited
            try:
                keys = _KeysFile.read(keys_path)
            except OSError:
                continue
            if mine is not None and not mine(keys):
                continue  # another store's
            try:
                _recover_one(store, url, folder, keys_path, keys)
            except Exception as exc:
                if fault_kind(exc) == "transient":
                    continue  # the store is down: the next opener tries again
                raise
            done.append(keys_path.stem)
        finally:
            os.close(fd)
    with contextlib.suppress(OSError):
        if folder.parent.name == "journals" and not any(folder.iterdir()):
            folder.rmdir()  # an empty folder of an old spelling or a store down at init
    return done


def _recover_media(store: Store, url: str, run_id: str, folder: Path, aside: list[Path]) -> None:
    """Write the media a dead process left in its journal (journal/media.py), skipping items
    the store has (the writer may have been killed between writing and deleting a file). A
    file that cannot be read or an item the store refuses for good is set aside; a transient
    fault raises, and the segments stay for the next try."""

    def refused(what: str, rows: list[dict[str, Any]], exc: BaseException) -> None:
        aside.append(set_aside(url, run_id, what, rows, exc))

    paths, queued = media.left_behind(
        folder, run_id, lambda p, exc: refused("media", [{"file": str(p)}], exc)
    )
    if not paths:
        return
    have = {(r.key, r.step, r.index, r.digest) for r in store.read_media(run_id)}

    def unencodable(item: media.QueuedMedia, exc: BaseException) -> None:
        refused(f"the {item.value.kind} {item.key!r}", [{"key": item.key, "step": item.step}], exc)

    for batch in media.encode_all(queued, set(), unencodable):
        records = [r for r in batch.records if (r.key, r.step, r.index, r.digest) not in have]
        if not records:
            continue
        try:
            store.write_media(run_id, records, batch.blobs)
        except Exception as exc:
            if fault_kind(exc) != "permanent":
                raise
            refused(
                "media", [{"key": r.key, "step": r.step, "digest": r.digest} for r in records], exc
            )


def _recover_one(store: Store, url: str, folder: Path, keys_path: Path, keys: _KeysFile) -> None:
    run_id = keys_path.stem
    kinds, header, created = keys.kinds, keys.header, keys.created
    gone = False
    try:
        store.get_run(run_id)
    except RunNotFoundError:
        if created or not header.get("run"):
            gone = True  # deleted on purpose: do not bring it back
        else:
            store.create_run(RunRecord(**header["run"]))
    segments = sorted(folder.glob(f"{run_id}.*.seg"))
    last_wall = 0.0
    aside: list[Path] = []
    for seg in segments:
        data = seg.read_bytes()
        if not gone and len(data) > HEADER:
            start = max(HEADER, int.from_bytes(data[8:16], "little"))
            columns: Columns = {}
            parse(data, start, len(data), kinds, columns)
            batches = batches_of(columns)
            for b in batches.values():
                if len(b.times):
                    last_wall = max(last_wall, float(b.times.max()))
            if batches:
                write_points_or_set_aside(
                    store, url, run_id, batches, lambda path, _key: aside.append(path)
                )
        seg.unlink()
    if not gone:
        _recover_media(store, url, run_id, folder, aside)
    media.remove(folder, run_id)
    final = folder / f"{run_id}.final.json"
    if not gone:
        if final.exists():
            fields = orjson.loads(final.read_bytes())
            store.update_run(run_id, **fields)
        else:
            store.update_run_if(
                run_id, "running", status="crashed", finished_at=last_wall or time.time()
            )
    if aside:
        _warn(
            f"trainboard: recovering run {run_id}, the store refused some points or media: "
            f"see {aside[0]}"
        )
    with contextlib.suppress(OSError):
        final.unlink()
    keys_path.unlink()
