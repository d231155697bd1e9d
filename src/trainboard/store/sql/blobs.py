"""Media bytes kept as files beside a SQLite store: `<store file>.media/ab/abcdef...`.

Why files and not the database: a SQLite file that holds gigabytes of images is slow to copy
and to vacuum, and the bytes never change (a file is named by the SHA-256 of its contents).
A file is written to a temporary name and renamed into place, so a reader never sees half of
one. Which files may be removed is decided in the database (store/sql/media.py): a file goes only
when no row of media_blobs names it, checked inside a write transaction.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Protocol

from trainboard.errors import NotFoundError


class Blobs(Protocol):
    """Where media bytes live outside the database: files (here) or a bucket (s3blobs.py)."""

    def put(self, digest: str, data: bytes) -> None: ...

    def get(self, digest: str) -> bytes: ...

    def remove(self, digest: str) -> None: ...


class FileBlobs:
    """Bytes by digest in one folder, two hex characters of fan-out."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, digest: str) -> Path:
        return self.root / digest[:2] / digest

    def put(self, digest: str, data: bytes) -> None:
        """Write the bytes unless a file of that name and size is there already."""
        target = self.path(digest)
        try:
            if target.stat().st_size == len(data):
                return
        except FileNotFoundError:
            pass
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{digest}.{os.getpid()}.tmp")
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, target)

    def get(self, digest: str) -> bytes:
        try:
            return self.path(digest).read_bytes()
        except FileNotFoundError:
            raise NotFoundError(f"media {digest[:16]}...: its file is missing") from None

    def remove(self, digest: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path(digest).unlink()
