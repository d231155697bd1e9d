"""Media of a PostgreSQL store in an S3-compatible bucket: a real S3 server (moto's, on a
loopback port) spoken to over HTTP by boto3, and the real PostgreSQL. Bytes go to content-
addressed objects written once, come back through the store, the SDK and the read API,
objects no run uses are deleted with the last run that used them, a bucket that cannot be
used fails the open naming it, and an outage keeps the media queued until the bucket is back.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import httpx
import numpy as np
import pytest
import sqlalchemy as sa
from loopback import free_port
from moto.server import ThreadedMotoServer

import trainboard
from trainboard.errors import NotFoundError, StoreError, UsageError
from trainboard.store import open_store
from trainboard.store.mediarecords import Blob, MediaRecord, digest_of
from trainboard.store.records import RunRecord
from trainboard.store.sql.schema import media_blobs

CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


class S3Server:
    """moto's S3 server on one loopback port; stop() and start() again for an outage (its
    buckets live in this process, so they are there again after a restart)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self._server: ThreadedMotoServer | None = None

    def start(self) -> None:
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self._server.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[S3Server]:
    for k, v in CREDENTIALS.items():
        monkeypatch.setenv(k, v)
    for k in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_PROFILE"):
        monkeypatch.delenv(k, raising=False)
    server = S3Server()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _client(s3: S3Server) -> Any:
    return boto3.client("s3", endpoint_url=s3.endpoint, region_name="us-east-1")


@pytest.fixture
def bucket(s3: S3Server, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh bucket, named by TRAINBOARD_MEDIA_URL (prefix `media`)."""
    name = f"tb-{uuid.uuid4().hex[:12]}"
    _client(s3).create_bucket(Bucket=name)
    monkeypatch.setenv("TRAINBOARD_MEDIA_URL", f"s3://{name}/media?endpoint={s3.endpoint}")
    return name


def _objects(s3: S3Server, name: str) -> dict[str, bytes]:
    c = _client(s3)
    keys = [o["Key"] for o in c.list_objects_v2(Bucket=name).get("Contents", [])]
    return {k: c.get_object(Bucket=name, Key=k)["Body"].read() for k in keys}


def _item(data: bytes, step: int = 1) -> tuple[MediaRecord, dict[str, Blob]]:
    d = digest_of(data)
    return MediaRecord("img", step, "image", d, "image/png", len(data), 1.0), {
        d: Blob("image/png", data)
    }


def _run(store: Any, rid: str) -> str:
    store.create_run(RunRecord(id=rid, project="p", name=rid, created_at=1.0))
    return rid


def test_bytes_live_in_the_bucket_once_and_go_with_the_last_run(
    pg_url: str, s3: S3Server, bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared, shared_blobs = _item(b"shared pixels")
    own, own_blobs = _item(b"only a's pixels", 2)
    with open_store(pg_url) as store:
        a, b = _run(store, "ra"), _run(store, "rb")
        store.write_media(a, [shared, own], {**shared_blobs, **own_blobs})
        put_at = _client(s3).head_object(
            Bucket=bucket, Key=f"media/{shared.digest[:2]}/{shared.digest}"
        )["LastModified"]
        store.write_media(b, [_item(b"shared pixels")[0]], shared_blobs)  # sent again
        assert _objects(s3, bucket) == {
            f"media/{shared.digest[:2]}/{shared.digest}": b"shared pixels",
            f"media/{own.digest[:2]}/{own.digest}": b"only a's pixels",
        }
        again = _client(s3).head_object(
            Bucket=bucket, Key=f"media/{shared.digest[:2]}/{shared.digest}"
        )
        assert again["LastModified"] == put_at  # put if absent: not written twice
        with store.engine.connect() as c:  # type: ignore[attr-defined]
            assert c.execute(sa.select(media_blobs.c.data)).scalars().all() == [None, None]
        assert store.read_blob(own.digest) == ("image/png", b"only a's pixels")
        with monkeypatch.context() as m:
            m.delenv("TRAINBOARD_MEDIA_URL")
            with (
                open_store(pg_url) as plain,
                pytest.raises(NotFoundError, match=r"opened with TRAINBOARD_MEDIA_URL set"),
            ):
                plain.read_blob(own.digest)
        store.delete_runs([a])
        assert list(_objects(s3, bucket)) == [f"media/{shared.digest[:2]}/{shared.digest}"]
        with pytest.raises(NotFoundError):
            store.read_blob(own.digest)
        assert store.read_blob(shared.digest) == ("image/png", b"shared pixels")
        store.delete_runs([b])
        assert _objects(s3, bucket) == {}


def test_logged_images_come_back_through_the_sdk_and_read_api(
    pg_url: str, bucket: str, s3: S3Server, tb_home: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRAINBOARD_DB", pg_url)
    pixels = (np.arange(5 * 4 * 3).reshape(5, 4, 3) * 11 % 256).astype(np.uint8)
    run = trainboard.init(project="s3", name="samples")
    run.log({"samples": trainboard.Image(pixels, caption="first")}, step=3)
    run.finish()
    [item] = trainboard.Api().run(run.id).media("samples")
    assert (item.step, item.caption) == (3, "first")
    assert (item.numpy() == pixels).all()
    assert [k.rsplit("/", 1)[1] for k in _objects(s3, bucket)] == [digest_of(item.data)]


def test_a_bucket_that_cannot_be_used_fails_the_open_naming_it(
    pg_url: str, s3: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    nobody = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("TRAINBOARD_MEDIA_URL", f"s3://tb-media/runs?endpoint={nobody}")
    with pytest.raises(
        StoreError, match=rf"bucket s3://tb-media/runs at {nobody}: unreachable"
    ) as e:
        open_store(pg_url)
    assert e.value.transient  # a training run waits for it, as for PostgreSQL
    monkeypatch.setenv("TRAINBOARD_MEDIA_URL", f"s3://no-such-bucket?endpoint={s3.endpoint}")
    with pytest.raises(
        StoreError, match=rf"bucket s3://no-such-bucket at {s3.endpoint}: the bucket does not exist"
    ) as e:
        open_store(pg_url)
    assert not e.value.transient
    monkeypatch.setenv("TRAINBOARD_MEDIA_URL", "gs://tb-media")
    with pytest.raises(UsageError, match=r"TRAINBOARD_MEDIA_URL must look like s3://bucket"):
        open_store(pg_url)


def test_an_outage_keeps_the_media_queued_until_the_bucket_is_back(
    pg_url: str, bucket: str, s3: S3Server, tb_home: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRAINBOARD_DB", pg_url)
    run = trainboard.init(project="s3", name="outage")
    writer = run.state.writer
    assert writer is not None and writer.flush(timeout=60)
    s3.stop()
    try:
        failures = writer.failures
        pixels = [np.full((3, 3, 3), 40 * i, np.uint8) for i in range(4)]
        for i, p in enumerate(pixels):
            run.log({"loss": 1.0 / (i + 1), "pic": trainboard.Image(p)}, step=i)
        writer.flush(timeout=0)  # wake it: its write fails while the bucket is away
        while writer.failures == failures:  # no timing: pytest-timeout bounds the wait
            writer.flush(timeout=0.2)
        assert "bucket" in str(writer.last_error)
        engine = sa.create_engine(pg_url.replace("postgresql://", "postgresql+psycopg://"))
        with engine.connect() as c:
            assert c.execute(sa.text("SELECT count(*) FROM media")).scalar_one() == 0
        engine.dispose()
    finally:
        s3.start()
    run.finish()
    items = trainboard.Api().run(run.id).media("pic")
    assert [i.step for i in items] == [0, 1, 2, 3]
    for item, p in zip(items, pixels, strict=True):
        assert (item.numpy() == p).all()


SERVE = (
    "import sys; from trainboard.server.app import serve; "
    "serve(host='127.0.0.1', port=int(sys.argv[1]))"
)


@pytest.mark.slow
def test_a_remote_run_keeps_its_media_in_the_outbox_while_the_bucket_is_away(
    pg_url: str,
    bucket: str,
    s3: S3Server,
    tb_home: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A client sends to a server whose PostgreSQL store keeps media in the bucket; with the
    bucket away the server answers 503 to the media, and the client's outbox keeps them."""
    port = free_port()
    env = dict(os.environ, TRAINBOARD_DB=pg_url, TRAINBOARD_HOME=str(tmp_path / "srv"))
    env.pop("TRAINBOARD_URL", None)
    log = (tmp_path / "server.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVE, str(port)], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    try:
        while True:  # pytest-timeout bounds the wait
            assert proc.poll() is None, (tmp_path / "server.log").read_text()
            try:
                if httpx.get(f"{url}/api/v1/runs").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        monkeypatch.setenv("TRAINBOARD_URL", url)
        run = trainboard.init(project="s3", name="remote")
        outbox = run.state.writer._store._outbox  # the client's outbox (store/remote)
        assert run.state.writer.flush(timeout=60)
        s3.stop()
        try:
            pixels = [np.full((3, 3, 3), 50 * i, np.uint8) for i in range(3)]
            for i, p in enumerate(pixels):
                run.log({"pic": trainboard.Image(p)}, step=i)
            assert run.state.writer.flush(timeout=60)  # handed to the outbox
            while "503" not in outbox._warned:  # the server answered 503: the bucket is away
                time.sleep(0.1)
            assert outbox.pending > 0
            items = httpx.get(f"{url}/api/v1/runs/{run.id}/media/items").json()["items"]
            assert items == []
        finally:
            s3.start()
        run.finish()
        monkeypatch.delenv("TRAINBOARD_URL")
        monkeypatch.setenv("TRAINBOARD_DB", pg_url)
        got = trainboard.Api().run(run.id).media("pic")
        assert [i.step for i in got] == [0, 1, 2]
        for item, p in zip(got, pixels, strict=True):
            assert (item.numpy() == p).all()
    finally:
        proc.terminate()
        proc.wait(30)
        log.close()
