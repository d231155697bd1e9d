"""Media in the store, on both engines: items round-trip, bytes are stored once per digest
(across runs too), a step reads the last items at or before it, deleting a run deletes only
the bytes no other run uses, and bad input is refused naming what was wrong."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from trainboard.errors import NotFoundError, RunNotFoundError, UsageError
from trainboard.store.base import Store
from trainboard.store.mediarecords import Blob, MediaKey, MediaRecord, digest_of
from trainboard.store.records import RunRecord
from trainboard.store.sql.schema import media_blobs
from trainboard.store.sql.store import SQLStore


def _run(store: Store, run_id: str) -> str:
    store.create_run(RunRecord(id=run_id, project="p", name=run_id, created_at=1.0))
    return run_id


def _item(key: str, step: int, data: bytes, **kw: object) -> tuple[MediaRecord, dict[str, Blob]]:
    d = digest_of(data)
    rec = MediaRecord(key, step, "image", d, "image/png", len(data), 10.0 + step, **kw)  # type: ignore[arg-type]
    return rec, {d: Blob("image/png", data)}


def _blob_rows(store: Store) -> int:
    assert isinstance(store, SQLStore)
    with store.engine.connect() as c:
        return int(c.execute(sa.select(sa.func.count()).select_from(media_blobs)).scalar_one())


def test_items_round_trip_and_read_by_step(store: Store) -> None:
    rid = _run(store, "r1")
    for step in (0, 10, 20):
        rec, blobs = _item("samples", step, f"png{step}".encode(), caption=f"step {step}")
        store.write_media(rid, [rec], blobs)
    two = [_item("grid", 5, b"a")[0], _item("grid", 5, b"b", index=1)[0]]
    store.write_media(rid, two, {**_item("grid", 5, b"a")[1], **_item("grid", 5, b"b")[1]})
    assert store.media_keys(rid) == [
        MediaKey("grid", "image", 2, [5]),
        MediaKey("samples", "image", 3, [0, 10, 20]),
    ]
    assert [(r.step, r.caption) for r in store.read_media(rid, "samples")] == [
        (0, "step 0"),
        (10, "step 10"),
        (20, "step 20"),
    ]
    assert [r.step for r in store.read_media(rid, "samples", step=15)] == [10]
    assert [r.step for r in store.read_media(rid, "samples", step=99)] == [20]
    assert [r.index for r in store.read_media(rid, "grid", step=0)] == [0, 1]  # first step
    rec = store.read_media(rid, "samples", step=10)[0]
    assert store.read_blob(rec.digest) == ("image/png", b"png10")
    assert store.read_media(rid, "nothing", step=3) == []


def test_the_same_bytes_are_stored_once_across_runs(store: Store) -> None:
    a, b = _run(store, "ra"), _run(store, "rb")
    rec, blobs = _item("img", 1, b"same pixels")
    store.write_media(a, [rec], blobs)
    store.write_media(a, [_item("img", 2, b"same pixels")[0]], blobs)
    store.write_media(b, [_item("img", 1, b"same pixels")[0]], {})  # bytes not sent: it has them
    assert _blob_rows(store) == 1
    assert len(store.read_media(a, "img")) == 2 and len(store.read_media(b, "img")) == 1


def test_deleting_a_run_deletes_the_bytes_no_other_run_uses(store: Store) -> None:
    a, b = _run(store, "ra"), _run(store, "rb")
    shared, shared_blobs = _item("img", 1, b"shared")
    own, own_blobs = _item("img", 2, b"only a's")
    table = MediaRecord(
        "tab", 3, "table", digest_of(b"{}"), "application/json", 2, 1.0, uses=[own.digest]
    )
    store.write_media(
        a,
        [shared, own, table],
        {**shared_blobs, **own_blobs, table.digest: Blob("application/json", b"{}")},
    )
    store.write_media(b, [_item("img", 1, b"shared")[0]], {})
    files = store.media_files if isinstance(store, SQLStore) else None
    if files is not None:
        assert files.path(own.digest).read_bytes() == b"only a's"
    store.set_archived([a], True)  # archiving keeps everything
    assert store.read_blob(own.digest) == ("image/png", b"only a's")
    store.delete_runs([a])
    assert store.read_blob(shared.digest) == ("image/png", b"shared")  # b still uses it
    for gone in (own.digest, table.digest):
        with pytest.raises(NotFoundError):
            store.read_blob(gone)
    if files is not None:
        assert not files.path(own.digest).exists()
        assert files.path(shared.digest).exists()
    store.delete_runs([b])
    assert _blob_rows(store) == 0
    if files is not None:
        assert not files.path(shared.digest).exists()


def test_sqlite_keeps_the_bytes_in_files_beside_the_store(sqlite_url: str) -> None:
    from trainboard.store.factory import open_store

    with open_store(sqlite_url) as store:
        rid = _run(store, "r1")
        rec, blobs = _item("img", 1, b"\x89PNG bytes")
        store.write_media(rid, [rec], blobs)
        folder = Path(sqlite_url.removeprefix("sqlite:///") + ".media")
        assert (folder / rec.digest[:2] / rec.digest).read_bytes() == b"\x89PNG bytes"
        with store.engine.connect() as c:  # type: ignore[attr-defined]
            assert c.execute(sa.select(media_blobs.c.data)).scalar_one() is None


def test_bad_media_is_refused_naming_what_was_wrong(store: Store) -> None:
    rid = _run(store, "r1")
    rec, blobs = _item("img", 1, b"real")
    with pytest.raises(
        UsageError, match=r"the bytes sent as [0-9a-f]{16}\.\.\. have another SHA-256"
    ):
        store.write_media(rid, [rec], {rec.digest: Blob("image/png", b"forged")})
    with pytest.raises(UsageError, match=r"were not sent and the store lacks them"):
        store.write_media(rid, [rec], {})
    bad = MediaRecord("img", 1, "hologram", rec.digest, "image/png", 4, 1.0)
    with pytest.raises(UsageError, match=r"kind must be one of image, audio, video, table"):
        store.write_media(rid, [bad], blobs)
    with pytest.raises(UsageError, match=r"digest must be 64 lowercase hex"):
        store.read_blob("../../etc/passwd")
    with pytest.raises(RunNotFoundError):
        store.write_media("nope", [rec], blobs)
    assert store.media_keys(rid) == []  # nothing of the refused writes was kept
    assert _blob_rows(store) == 0
