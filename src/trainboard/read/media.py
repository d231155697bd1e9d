"""Media read back: `run.media(key)` gives MediaItems (step, caption, the bytes, decoded on
request to numpy or PIL), `run.table(key)` a logged Table as a pandas DataFrame whose media
cells are MediaItems. The bytes are read when first asked for, so listing 10,000 images reads
none of them."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

import orjson

from trainboard.errors import MissingExtraError, UsageError
from trainboard.jsonvalues import SPELLINGS, parse
from trainboard.store.mediarecords import MediaRecord

if TYPE_CHECKING:
    import pandas as pd

    from trainboard.store.base import Store


class MediaItem:
    """One logged image, sound, video or table: its record and, lazily, its bytes."""

    def __init__(self, store: Store, record: MediaRecord) -> None:
        self._store = store
        self.record = record
        self._data: bytes | None = None

    key = property(lambda self: self.record.key)
    step = property(lambda self: self.record.step)
    index = property(lambda self: self.record.index)
    kind = property(lambda self: self.record.kind)
    caption = property(lambda self: self.record.caption)
    mime = property(lambda self: self.record.mime)
    digest = property(lambda self: self.record.digest)

    @property
    def data(self) -> bytes:
        """The bytes as stored (a PNG, a WAV, the file that was logged...)."""
        if self._data is None:
            self._data = self._store.read_blob(self.record.digest)[1]
        return self._data

    def pil(self) -> Any:
        """An image (or a GIF video's first frame) as a PIL image."""
        if not self.record.mime.startswith("image/"):
            raise UsageError(
                f"{self.record.key!r} at step {self.step} is {self.mime}, not an image"
            )
        try:
            from PIL import Image
        except ImportError:
            raise MissingExtraError("MediaItem.pil()", "media", "pillow") from None
        return Image.open(io.BytesIO(self.data))

    def numpy(self) -> Any:
        """Pixels (H x W or H x W x C) of an image; samples (n x channels) of a WAV sound."""
        import numpy as np

        if self.record.mime == "audio/wav":
            return _wav_samples(self.data)
        return np.asarray(self.pil())

    def __repr__(self) -> str:
        cap = f" {self.caption!r}" if self.caption else ""
        return f"<MediaItem {self.kind} {self.key!r} step={self.step}{cap}>"


def _wav_samples(data: bytes) -> Any:
    import struct

    import numpy as np

    fmt_tag, channels = struct.unpack("<HH", data[20:24])
    bits = struct.unpack("<H", data[34:36])[0]
    dtype = {(3, 32): "<f4", (1, 16): "<i2", (1, 32): "<i4"}.get((fmt_tag, bits))
    if dtype is None:
        raise UsageError(f"a WAV of format {fmt_tag} with {bits}-bit samples cannot be read")
    size = struct.unpack("<I", data[40:44])[0]
    return np.frombuffer(data[44 : 44 + size], dtype).reshape(-1, channels)


def media_items(store: Store, run_id: str, key: str | None) -> list[MediaItem]:
    return [MediaItem(store, r) for r in store.read_media(run_id, key)]


def table_frame(store: Store, run_id: str, key: str, step: int | None) -> pd.DataFrame:
    """The table logged under `key` at `step` (the last at or before it; default: the last)."""
    from trainboard.read.history import require_pandas

    require_pandas("table()")
    import pandas as pd

    if step is None:
        found = [k for k in store.media_keys(run_id) if k.key == key]
        step = found[0].steps[-1] if found else 0
    records = [r for r in store.read_media(run_id, key, step=step) if r.kind == "table"]
    if not records:
        raise UsageError(f"table(): run {run_id} has no table logged as {key!r}")
    rec = records[0]
    doc = orjson.loads(store.read_blob(rec.digest)[1])

    def cell(v: Any) -> Any:
        if isinstance(v, dict) and "media" in v:
            m = v["media"]
            return MediaItem(
                store,
                MediaRecord(
                    key,
                    rec.step,
                    m["kind"],
                    m["digest"],
                    m["mime"],
                    0,
                    rec.wall_time,
                    caption=m.get("caption"),
                    width=m.get("width"),
                    height=m.get("height"),
                ),
            )
        if isinstance(v, str) and v in SPELLINGS:
            return parse(v)
        return v

    rows = [[cell(v) for v in row] for row in doc["rows"]]
    return pd.DataFrame(rows, columns=doc["columns"])
