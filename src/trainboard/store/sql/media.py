"""Media in SQL: items per (run, key, step), the digests each run uses, and the bytes once
per digest (in the database, or in files beside a SQLite store: store/sql/blobs.py).

Why apart from attached.py: media carry bytes, which are shared between runs and so outlive
any one of them; writing, reading and deleting them is about that sharing.

`Media(db, files)` takes the Database and, for a SQLite file, the folder of its bytes:
- write: the bytes the store lacks are added (a digest it has is not written again), then
  the items and the run's uses, in one transaction;
- forget_runs: called by Runs.delete inside its transaction; returns the digests that no run
  uses any more, whose rows it has deleted. `sweep` then removes their files, in a write
  transaction that checks no writer has added the digest back.

Sharing is safe under concurrency because every transaction that adds a use of some bytes
holds a shared lock per digest (`Dialect.lock_digests`), and every one that decides bytes are
unused (forget_runs, sweep) holds it exclusive before it looks: on PostgreSQL a delete racing
a write of the same image would otherwise see no use (not yet committed) and delete the bytes
the writer counted on. SQLite's write transactions are serial, so it needs no lock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection

from trainboard import limits
from trainboard.errors import NotFoundError, RunNotFoundError, StoreError, UsageError
from trainboard.store.mediarecords import (
    Blob,
    MediaKey,
    MediaRecord,
    check_blobs,
    check_digest,
    check_media,
)
from trainboard.store.sql.schema import media, media_blobs, media_uses, runs

if TYPE_CHECKING:
    from trainboard.store.sql.blobs import Blobs
    from trainboard.store.sql.db import Database

_PART = 500  # ids per IN (...) list


def _insert_ignore(conn: Connection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """Insert rows, skipping those whose primary key is there (another writer's)."""
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        conn.execute(postgresql.insert(table).on_conflict_do_nothing(), rows)
    else:
        conn.execute(sa.insert(table).prefix_with("OR IGNORE"), rows)


def _require_run(conn: Connection, run_id: str) -> None:
    if conn.execute(sa.select(runs.c.id).where(runs.c.id == run_id)).first() is None:
        raise RunNotFoundError(run_id)


def _present(conn: Connection, digests: Iterable[str]) -> set[str]:
    wanted = list(digests)
    found: set[str] = set()
    for i in range(0, len(wanted), _PART):
        q = sa.select(media_blobs.c.digest).where(media_blobs.c.digest.in_(wanted[i : i + _PART]))
        found.update(conn.execute(q).scalars())
    return found


def _row(run_id: str, r: MediaRecord) -> dict[str, Any]:
    meta = dict(r.meta or {})
    if r.uses:
        meta["uses"] = list(r.uses)
    return {
        "run_id": run_id,
        "key": r.key,
        "step": r.step,
        "idx": r.index,
        "kind": r.kind,
        "digest": r.digest,
        "mime": r.mime,
        "size": r.size,
        "wall_time": float(r.wall_time),
        "caption": r.caption,
        "width": r.width,
        "height": r.height,
        "meta": orjson.dumps(meta).decode() if meta else None,
    }


def _record(r: Any) -> MediaRecord:
    meta = orjson.loads(r.meta) if r.meta else None
    uses = list(meta.pop("uses", [])) if meta else []
    return MediaRecord(
        key=r.key,
        step=int(r.step),
        kind=r.kind,
        digest=r.digest,
        mime=r.mime,
        size=int(r.size),
        wall_time=float(r.wall_time),
        index=int(r.idx),
        caption=r.caption,
        width=r.width,
        height=r.height,
        meta=meta or None,
        uses=uses,
    )


class Media:
    """Media items and their bytes over one Database (`files`: the folder of a SQLite
    file's bytes, or a PostgreSQL store's bucket; None keeps them in the database)."""

    def __init__(self, db: Database, files: Blobs | None) -> None:
        self.db = db
        self.files = files

    def write(
        self,
        run_id: str,
        records: Sequence[MediaRecord],
        blobs: Mapping[str, Blob],
    ) -> None:
        limits.check_text("write_media: run id", run_id)
        for r in records:
            check_media(r)
        check_blobs({d: b.data for d, b in blobs.items()})
        needed = {r.digest for r in records} | {d for r in records for d in r.uses}
        rows = [_row(run_id, r) for r in records]

        def tx(conn: Connection) -> None:
            _require_run(conn, run_id)
            # shared: a delete deciding these bytes are unused waits for this transaction
            # (and sees its uses), or this one waits for the delete (and sees them gone)
            self.db.dialect.lock_digests(conn, sorted(needed), exclusive=False)
            missing = needed - _present(conn, needed)
            for d in sorted(missing):
                blob = blobs.get(d)
                if blob is None:
                    raise UsageError(
                        f"write_media: the bytes of {d[:16]}... were not sent and the store "
                        "lacks them"
                    )
                if self.files is not None:
                    self.files.put(d, blob.data)
            _insert_ignore(
                conn,
                media_blobs,
                [
                    {
                        "digest": d,
                        "mime": blobs[d].mime,
                        "size": len(blobs[d].data),
                        "data": None if self.files is not None else blobs[d].data,
                    }
                    for d in sorted(missing)
                ],
            )
            if rows:
                conn.execute(sa.insert(media), rows)
            _insert_ignore(
                conn, media_uses, [{"run_id": run_id, "digest": d} for d in sorted(needed)]
            )

        self.db.write(tx)

    def read(
        self, run_id: str, key: str | None = None, step: int | None = None
    ) -> list[MediaRecord]:
        """Items of the run (of `key`), by key, step and index. With `step`, only the items of
        the last step at or before it that has any (else the first step): what a step slider
        shows."""
        limits.check_text("read_media: run id", run_id)
        if key is not None:
            limits.check_text("read_media: key", key)
        if step is not None:
            if key is None:
                raise UsageError("read_media: a step needs a key")
            limits.check_int("read_media: step", step)
        t = media
        q = sa.select(t).where(t.c.run_id == run_id)
        if key is not None:
            q = q.where(t.c.key == key)

        def tx(conn: Connection) -> list[MediaRecord]:
            _require_run(conn, run_id)
            where = q
            if step is not None:
                at = (t.c.run_id == run_id) & (t.c.key == key)
                s = conn.execute(sa.select(sa.func.max(t.c.step)).where(at & (t.c.step <= step)))
                found = s.scalar()
                if found is None:
                    found = conn.execute(sa.select(sa.func.min(t.c.step)).where(at)).scalar()
                if found is None:
                    return []
                where = q.where(t.c.step == found)
            rows = conn.execute(where.order_by(t.c.key, t.c.step, t.c.idx, t.c.id))
            return [_record(r) for r in rows]

        return self.db.read(tx)

    def keys(self, run_id: str) -> list[MediaKey]:
        """Each media key of the run with its kind, item count and steps (sorted). One row
        per key: its steps come joined in one string and are split with numpy, so a key of
        10,000 images costs one row, not 10,000."""
        import numpy as np

        limits.check_text("media_keys: run id", run_id)
        t = media

        def tx(conn: Connection) -> list[MediaKey]:
            _require_run(conn, run_id)
            if conn.dialect.name == "postgresql":
                joined = sa.func.string_agg(sa.cast(t.c.step, sa.Text), ",")
            else:
                joined = sa.func.group_concat(t.c.step, ",")
            q = (
                sa.select(t.c.key, sa.func.min(t.c.kind), sa.func.count(), joined)
                .where(t.c.run_id == run_id)
                .group_by(t.c.key)
                .order_by(t.c.key)
            )
            out = []
            for key, kind, n, steps in conn.execute(q):
                arr = np.unique(np.array(str(steps).split(","), dtype=np.int64))
                out.append(MediaKey(key, kind, int(n), arr.tolist()))
            return out

        return self.db.read(tx)

    def blob(self, digest: str) -> tuple[str, bytes]:
        """The mime type and bytes stored under `digest`; NotFoundError when none are."""
        check_digest("read_blob: digest", digest)
        t = media_blobs

        def tx(conn: Connection) -> tuple[str, bytes | None] | None:
            row = conn.execute(sa.select(t.c.mime, t.c.data).where(t.c.digest == digest)).first()
            return None if row is None else (str(row.mime), row.data)

        found = self.db.read(tx)
        if found is None:
            raise NotFoundError(f"no media stored as {digest[:16]}...")
        mime, data = found
        if data is None:
            if self.files is None:
                raise NotFoundError(
                    f"media {digest[:16]}...: its bytes are not in the database (a store "
                    "whose media are in a bucket is opened with TRAINBOARD_MEDIA_URL set)"
                )
            data = self.files.get(digest)
        return mime, bytes(data)

    def used_in(self, digest: str, projects: Sequence[str]) -> bool:
        """Whether a run of `projects` uses `digest`: one seek of ix_media_uses_digest, each
        use's run by its primary key."""
        check_digest("blob_used_in: digest", digest)
        if not projects:
            return False
        u = media_uses
        q = (
            sa.select(u.c.run_id)
            .join(runs, runs.c.id == u.c.run_id)
            .where(u.c.digest == digest, runs.c.project.in_(list(projects)))
            .limit(1)
        )
        return self.db.read(lambda conn: conn.execute(q).first() is not None)

    def forget_runs(self, conn: Connection, run_ids: Sequence[str]) -> list[str]:
        """Inside delete_runs' transaction, before the runs' rows go: delete the runs' uses and
        the blob rows no other run uses; return those digests (their files are swept after)."""
        u = media_uses
        used: set[str] = set()
        for i in range(0, len(run_ids), _PART):
            part = list(run_ids[i : i + _PART])
            used.update(conn.execute(sa.select(u.c.digest).where(u.c.run_id.in_(part))).scalars())
        cands = sorted(used)
        # exclusive, before looking for other uses: a writer adding a use of one of these
        # either committed already (its use is seen below) or waits until this commits
        self.db.dialect.lock_digests(conn, cands, exclusive=True)
        for i in range(0, len(run_ids), _PART):
            part = list(run_ids[i : i + _PART])
            conn.execute(sa.delete(u).where(u.c.run_id.in_(part)))
        still: set[str] = set()
        for i in range(0, len(cands), _PART):
            part = cands[i : i + _PART]
            still.update(conn.execute(sa.select(u.c.digest).where(u.c.digest.in_(part))).scalars())
        orphans = [d for d in cands if d not in still]
        for i in range(0, len(orphans), _PART):
            conn.execute(
                sa.delete(media_blobs).where(media_blobs.c.digest.in_(orphans[i : i + _PART]))
            )
        return orphans

    def sweep(self, digests: Sequence[str]) -> None:
        """Remove the files (objects) of `digests` that no blob row names (a writer may have
        stored one again since): checked and removed under the write lock and each digest's
        exclusive lock. The runs are deleted already: a bucket that fails here leaves its
        objects behind (space, not data) with one warning, rather than failing the delete."""
        files = self.files
        if files is None or not digests:
            return

        def tx(conn: Connection) -> None:
            self.db.dialect.lock_digests(conn, sorted(digests), exclusive=True)
            back = _present(conn, digests)
            for d in digests:
                if d not in back:
                    files.remove(d)

        try:
            self.db.write(tx)
        except StoreError as e:
            import warnings

            warnings.warn(
                f"deleted runs' media bytes were left in place: {e}", RuntimeWarning, stacklevel=3
            )
