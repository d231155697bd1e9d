"""Media bytes of a PostgreSQL store kept in an S3-compatible bucket (AWS S3, MinIO, R2, GCS's
S3 API...), named by TRAINBOARD_MEDIA_URL:

    s3://BUCKET[/PREFIX][?endpoint=http://host:9000][&region=eu-west-1]

Credentials come from where every AWS tool looks (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY /
AWS_SESSION_TOKEN, AWS_PROFILE, an instance role); the endpoint also from AWS_ENDPOINT_URL_S3
or AWS_ENDPOINT_URL when the URL names none. boto3 is the optional extra `trainboard[s3]`.

Why a bucket: a team store that keeps every sample image in PostgreSQL grows a database that
is slow to back up and expensive to host; a bucket is where such bytes usually live. Which
objects may be removed is still decided in the database (store/sql/media.py): an object is
`PREFIX/ab/abcdef...` (the SHA-256 of its bytes), written before the row that names it is
committed and removed only when no row names it, under the digest's exclusive lock.

Failures: at open, a bucket that cannot be reached or used is a StoreError naming the bucket
and endpoint (transient when the endpoint did not answer, so a training run waits for it as
it waits for PostgreSQL). Afterwards every S3 failure is transient: the writer keeps the media
(in memory, the crash journal or a remote client's outbox) and tries again; nothing is set
aside because a bucket was briefly away.
"""

from __future__ import annotations

import os
import threading
from typing import Any
from urllib.parse import parse_qs, urlsplit

from trainboard.errors import MissingExtraError, NotFoundError, StoreError, UsageError


def _boto3() -> Any:
    try:
        import boto3
    except ImportError as e:
        raise MissingExtraError("TRAINBOARD_MEDIA_URL (media in a bucket)", "s3", "boto3") from e
    return boto3


class S3Blobs:
    """Bytes by digest in one bucket under one prefix; the same methods as FileBlobs."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme != "s3" or not parts.netloc:
            raise UsageError(f"TRAINBOARD_MEDIA_URL must look like s3://bucket/prefix, got {url!r}")
        query = parse_qs(parts.query)
        unknown = set(query) - {"endpoint", "region"}
        if unknown:
            raise UsageError(
                f"TRAINBOARD_MEDIA_URL: unknown option(s) {sorted(unknown)}; "
                "s3://bucket/prefix takes ?endpoint=URL and &region=NAME"
            )
        self.bucket = parts.netloc
        self.prefix = parts.path.strip("/")
        self.endpoint: str | None = (
            query.get("endpoint", [None])[0]
            or os.environ.get("AWS_ENDPOINT_URL_S3")
            or os.environ.get("AWS_ENDPOINT_URL")
            or None
        )
        self.region: str | None = query.get("region", [None])[0]
        self._client: Any = None
        self._pid = 0
        self._lock = threading.Lock()
        _boto3()  # MissingExtraError now, naming the extra

    @property
    def where(self) -> str:
        """The bucket and endpoint, for error messages."""
        at = self.endpoint or "AWS S3"
        return f"bucket s3://{self.bucket}/{self.prefix} at {at}".replace("/ at", " at")

    def key(self, digest: str) -> str:
        name = f"{digest[:2]}/{digest}"
        return f"{self.prefix}/{name}" if self.prefix else name

    def client(self) -> Any:
        """One boto3 client per process (a forked child makes its own: its sockets are not
        the parent's); boto3 clients are safe to share between threads."""
        with self._lock:
            if self._client is None or self._pid != os.getpid():
                from botocore.config import Config

                config = Config(
                    connect_timeout=5,
                    read_timeout=60,
                    retries={"max_attempts": 2, "mode": "standard"},
                    s3={"addressing_style": "path"} if self.endpoint else {},
                )
                self._client = (
                    _boto3()
                    .session.Session()
                    .client(
                        "s3", endpoint_url=self.endpoint, region_name=self.region, config=config
                    )
                )
                self._pid = os.getpid()
            return self._client

    def check(self) -> None:
        """Raise a StoreError naming the bucket unless it can be reached and used."""
        from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

        try:
            self.client().head_bucket(Bucket=self.bucket)
        except NoCredentialsError as e:
            raise StoreError(
                f"media {self.where}: no AWS credentials (set AWS_ACCESS_KEY_ID and "
                "AWS_SECRET_ACCESS_KEY, or AWS_PROFILE)",
                transient=False,
            ) from e
        except ClientError as e:
            status = int(e.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
            what = {404: "does not exist", 403: "refuses these credentials"}.get(
                status, f"answered {e}"
            )
            raise StoreError(
                f"media {self.where}: the bucket {what}", transient=status >= 500
            ) from e
        except BotoCoreError as e:
            raise StoreError(f"media {self.where}: unreachable ({e})") from e

    def _failed(self, what: str, digest: str, e: Exception) -> StoreError:
        return StoreError(f"media {self.where}: {what} {digest[:16]}... failed: {e}")

    def put(self, digest: str, data: bytes) -> None:
        """Write the object unless one of that name and size is there (its name is the hash
        of its bytes, so one that is there holds them)."""
        from botocore.exceptions import BotoCoreError, ClientError

        s3, key = self.client(), self.key(digest)
        try:
            try:
                if int(s3.head_object(Bucket=self.bucket, Key=key)["ContentLength"]) == len(data):
                    return
            except ClientError as e:
                if e.response.get("Error", {}).get("Code") not in ("404", "NoSuchKey"):
                    raise
            s3.put_object(Bucket=self.bucket, Key=key, Body=data)
        except (BotoCoreError, ClientError) as e:
            raise self._failed("writing", digest, e) from e

    def get(self, digest: str) -> bytes:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            body = self.client().get_object(Bucket=self.bucket, Key=self.key(digest))["Body"]
            return bytes(body.read())
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") in ("404", "NoSuchKey"):
                raise NotFoundError(
                    f"media {digest[:16]}...: its object is missing from {self.where}"
                ) from None
            raise self._failed("reading", digest, e) from e
        except BotoCoreError as e:
            raise self._failed("reading", digest, e) from e

    def remove(self, digest: str) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client().delete_object(Bucket=self.bucket, Key=self.key(digest))
        except (BotoCoreError, ClientError) as e:
            raise self._failed("deleting", digest, e) from e
