"""The values of media (images, audio, video, tables) as every engine takes and returns them.

An item is one thing logged under a key at a step (several at one step keep their order in
`index`). Its bytes are named by `digest`, the SHA-256 of the bytes in hex: the same image
logged twice, by one run or by two, is stored once. A table is an item too: its bytes are the
table as JSON (`table_doc`), and its media cells are items' digests listed in `uses`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from trainboard import limits
from trainboard.errors import UsageError

KINDS = ("image", "audio", "video", "table")
_DIGEST = re.compile(r"^[0-9a-f]{64}$")
_MIME = re.compile(r"^[a-z0-9.+-]+/[a-z0-9.+-]+$")


def digest_of(data: bytes) -> str:
    """The name of `data` in the store: SHA-256, lowercase hex."""
    return hashlib.sha256(data).hexdigest()


def check_digest(where: str, value: Any) -> str:
    if not isinstance(value, str) or not _DIGEST.match(value):
        raise UsageError(f"{where} must be 64 lowercase hex characters (a SHA-256), got {value!r}")
    return value


@dataclass(frozen=True)
class Blob:
    """Bytes to store under their digest, with the type they are served as."""

    mime: str
    data: bytes


@dataclass
class MediaRecord:
    """One media item: what the store keeps about it beside its bytes."""

    key: str
    step: int
    kind: str  # one of KINDS
    digest: str
    mime: str
    size: int
    wall_time: float
    index: int = 0
    caption: str | None = None
    width: int | None = None
    height: int | None = None
    meta: dict[str, Any] | None = None  # a table's columns and row count, an audio's rate
    uses: list[str] = field(default_factory=list)  # other digests it refers to (table cells)


@dataclass(frozen=True)
class MediaKey:
    """What a run holds under one media key: its kind, how many items, at which steps."""

    key: str
    kind: str
    count: int
    steps: list[int]


def check_media(record: MediaRecord) -> MediaRecord:
    """UsageError naming the field when `record` cannot be stored."""
    limits.check_key("media: key", record.key)
    limits.check_int("media: step", record.step)
    if record.step < 0:
        raise UsageError(f"media {record.key!r}: step must be >= 0, got {record.step}")
    if record.kind not in KINDS:
        raise UsageError(
            f"media {record.key!r}: kind must be one of {', '.join(KINDS)}, got {record.kind!r}"
        )
    check_digest(f"media {record.key!r}: digest", record.digest)
    for d in record.uses:
        check_digest(f"media {record.key!r}: uses", d)
    if not isinstance(record.mime, str) or not _MIME.match(record.mime) or len(record.mime) > 64:
        raise UsageError(f"media {record.key!r}: mime must be a type/subtype, got {record.mime!r}")
    limits.check_int(f"media {record.key!r}: size", record.size)
    limits.check_int(f"media {record.key!r}: index", record.index, bits=32)
    for name in ("width", "height"):
        v = getattr(record, name)
        if v is not None:
            limits.check_int(f"media {record.key!r}: {name}", v, bits=32)
    if not isinstance(record.wall_time, int | float):
        raise UsageError(f"media {record.key!r}: wall_time must be a number")
    if record.meta is not None and not isinstance(record.meta, dict):
        raise UsageError(f"media {record.key!r}: meta must be a JSON object")
    if not isinstance(record.uses, list):
        raise UsageError(f"media {record.key!r}: uses must be a list of digests")
    if record.caption is not None:
        limits.check_text(f"media {record.key!r}: caption", record.caption)
    return record


def check_blobs(blobs: Mapping[str, bytes]) -> None:
    """Each blob's digest is the SHA-256 of its bytes (a wrong name would serve one run's
    image in place of another's)."""
    for name, data in blobs.items():
        if digest_of(data) != name:
            raise UsageError(f"media: the bytes sent as {name[:16]}... have another SHA-256")
