"""The media op, both halves: `media_op` encodes a write_media call (RemoteStore sends it
through the outbox like every other write, so a server outage loses no image), and `MediaOp`
checks it on the server. The bytes travel base64, and the server checks each blob's SHA-256
against its name before anything is stored.

    {"op": "media", "run": ID,
     "items": [{key, step, index, kind, digest, mime, size, wall_time, caption, width,
                height, meta, uses}],
     "blobs": {digest: {"mime": TYPE, "data": BASE64}}}
"""

from __future__ import annotations

import binascii
from base64 import b64decode, b64encode
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, PrivateAttr, model_validator

from trainboard.errors import UsageError
from trainboard.jsonvalues import spell_all
from trainboard.store.mediarecords import Blob, MediaRecord, check_blobs, check_media


def media_op(run_id: str, items: Sequence[MediaRecord], blobs: Mapping[str, Blob]) -> bytes:
    body = {
        "op": "media",
        "run": run_id,
        "items": [spell_all(asdict(r)) for r in items],
        "blobs": {
            d: {"mime": b.mime, "data": b64encode(b.data).decode()} for d, b in blobs.items()
        },
    }
    return orjson.dumps(body)


class BlobIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    mime: str
    data: str


class MediaOp(BaseModel):
    model_config = ConfigDict(extra="forbid")
    op: Literal["media"]
    run: str
    items: list[dict[str, Any]]
    blobs: dict[str, BlobIn] = {}
    _records: list[MediaRecord] = PrivateAttr(default_factory=list)
    _blobs: dict[str, Blob] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _check(self) -> MediaOp:
        try:
            for raw in self.items:
                self._records.append(check_media(MediaRecord(**raw)))
            for d, b in self.blobs.items():
                self._blobs[d] = Blob(b.mime, b64decode(b.data, validate=True))
        except (TypeError, binascii.Error) as e:
            raise ValueError(str(e)) from None
        except UsageError as e:
            raise ValueError(e.message) from None
        try:
            check_blobs({d: b.data for d, b in self._blobs.items()})
        except UsageError as e:
            raise ValueError(e.message) from None
        return self

    def records(self) -> list[MediaRecord]:
        return self._records

    def blob_map(self) -> dict[str, Blob]:
        return self._blobs
