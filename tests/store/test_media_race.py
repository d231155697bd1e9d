"""Deleting a run while another run writes the same bytes, on the real PostgreSQL, in real
threads: the surviving run's item must keep its bytes. Without the blob row locked by the
writer and by the deleter (store/sql/media.py), the deleter can decide the bytes are unused
before the writer's uses row commits, and delete them under it."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from trainboard.store import open_store
from trainboard.store.mediarecords import Blob, MediaRecord, digest_of
from trainboard.store.records import RunRecord

ROUNDS = 120


def _record(data: bytes) -> MediaRecord:
    return MediaRecord("img", 1, "image", digest_of(data), "image/png", len(data), 1.0)


def _after(gate: threading.Barrier, errors: list[BaseException], fn: Any, *args: Any) -> None:
    """fn(*args) once both threads are at the gate; its error kept for the test to report."""
    try:
        gate.wait()
        fn(*args)
    except BaseException as e:
        errors.append(e)


@pytest.mark.slow
def test_a_delete_racing_a_write_of_the_same_bytes_keeps_them(pg_url: str) -> None:
    deleter, writer = open_store(pg_url), open_store(pg_url)
    lost: list[int] = []
    try:
        for i in range(ROUNDS):
            data = f"pixels of round {i}".encode()
            rec = _record(data)
            blobs = {rec.digest: Blob("image/png", data)}
            a, b = f"a{i}", f"b{i}"
            for rid in (a, b):
                deleter.create_run(RunRecord(id=rid, project="p", name=rid, created_at=1.0))
            deleter.write_media(a, [rec], blobs)
            gate = threading.Barrier(2, timeout=60)
            errors: list[BaseException] = []
            threads = [
                threading.Thread(target=_after, args=(gate, errors, deleter.delete_runs, [a])),
                threading.Thread(
                    target=_after, args=(gate, errors, writer.write_media, b, [rec], blobs)
                ),
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=120)
            assert not errors, errors
            assert [r.digest for r in writer.read_media(b, "img")] == [rec.digest]
            try:
                assert writer.read_blob(rec.digest) == ("image/png", data)
            except Exception:
                lost.append(i)
        assert lost == [], f"the bytes of b's item were deleted in rounds {lost}"
    finally:
        deleter.close()
        writer.close()
