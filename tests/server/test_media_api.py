"""Media over HTTP: keys with steps, items at a step, Compare side by side, the bytes served
as stored (cached for good, sandboxed); and the remote SDK's media through the outbox, none
lost while the server is down."""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image as PILImage

import trainboard
from trainboard.store import open_store
from trainboard.store.base import Store
from trainboard.store.mediarecords import Blob, MediaRecord, digest_of
from trainboard.store.records import RunRecord


def _until(check: Callable[[], bool], timeout: float = 90.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _png(value: int) -> bytes:
    buf = io.BytesIO()
    PILImage.fromarray(np.full((3, 4), value, np.uint8)).save(buf, format="PNG")
    return buf.getvalue()


def _log(db: Store, run_id: str, key: str, step: int, data: bytes, caption: str) -> str:
    d = digest_of(data)
    rec = MediaRecord(key, step, "image", d, "image/png", len(data), 1.0, caption=caption)
    db.write_media(run_id, [rec], {d: Blob("image/png", data)})
    return d


def test_keys_items_compare_and_bytes(api: Any, db: Store) -> None:
    for rid in ("aaaaaaaaaaaa", "bbbbbbbbbbbb"):
        db.create_run(RunRecord(id=rid, project="p", name=rid, created_at=1.0))
    d0 = _log(db, "aaaaaaaaaaaa", "samples", 0, _png(0), "a0")
    d10 = _log(db, "aaaaaaaaaaaa", "samples", 10, _png(10), "a10")
    _log(db, "bbbbbbbbbbbb", "samples", 5, _png(5), "b5")
    keys = api.get("/api/v1/runs/aaaaaaaaaaaa/media").json()
    assert keys == {"keys": [{"key": "samples", "kind": "image", "count": 2, "steps": [0, 10]}]}
    items = api.get(
        "/api/v1/runs/aaaaaaaaaaaa/media/items", params={"key": "samples", "step": 7}
    ).json()["items"]
    assert [(i["step"], i["caption"], i["url"]) for i in items] == [
        (0, "a0", f"/api/v1/media/{d0}")
    ]
    side = api.get(
        "/api/v1/compare/media",
        params={"runs": "aaaaaaaaaaaa,bbbbbbbbbbbb", "key": "samples", "step": 10},
    ).json()
    assert [(r["run_id"], r["step"], [i["caption"] for i in r["items"]]) for r in side["runs"]] == [
        ("aaaaaaaaaaaa", 10, ["a10"]),
        ("bbbbbbbbbbbb", 5, ["b5"]),
    ]
    r = api.get(f"/api/v1/media/{d10}")
    assert r.status_code == 200 and r.content == _png(10)
    assert r.headers["content-type"] == "image/png"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "immutable" in r.headers["cache-control"]
    assert r.headers["content-security-policy"].startswith("sandbox")
    bad = api.get("/api/v1/media/not-a-digest")
    assert bad.status_code == 400
    assert "must be 64 lowercase hex characters" in bad.json()["error"]["message"]
    missing = api.get(f"/api/v1/media/{'0' * 64}")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    assert api.get("/api/v1/runs/nope/media").status_code == 404


def test_remote_media_wait_through_an_outage(
    server_process: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRAINBOARD_HOME", str(tmp_path / "client"))
    monkeypatch.setenv("TRAINBOARD_SYSTEM_INTERVAL", "0")
    monkeypatch.setenv("TRAINBOARD_FLUSH_INTERVAL", "0.1")
    monkeypatch.delenv("TRAINBOARD_DB", raising=False)
    monkeypatch.setenv("TRAINBOARD_URL", server_process.url)
    run = trainboard.init(project="remote", name="media")
    run.log({"img": trainboard.Image(np.full((3, 4), 0, np.uint8))}, step=0)

    def keys() -> list[Any]:
        with server_process.client() as api:
            r = api.get(f"/api/v1/runs/{run.id}/media")
        return list(r.json()["keys"]) if r.status_code == 200 else []

    _until(lambda: len(keys()) == 1, what="the first image")
    server_process.kill()
    for step in range(1, 4):
        run.log({"img": trainboard.Image(np.full((3, 4), step, np.uint8))}, step=step)
    run.flush(timeout=0.5)  # cannot reach the server: the images wait in the outbox
    server_process.start()
    run.finish()
    _until(lambda: keys() and keys()[0]["steps"] == [0, 1, 2, 3], what="every image")
    with open_store(server_process.store_url) as db:  # the killed server's own store
        for item in db.read_media(run.id, "img"):
            pixels = np.asarray(PILImage.open(io.BytesIO(db.read_blob(item.digest)[1])))
            assert (pixels == item.step).all()
