"""The media data types: `trainboard.Image`, `Audio`, `Video` and `Table` (also wandb's).

Each takes what a training script has (a numpy array, a torch tensor, a PIL image, a
matplotlib figure, a file path, bytes), checks it, and keeps a private copy, so the caller may
change or free its own afterwards; nothing is encoded here. `run.log({"samples": Image(x)})`
hands it to the writer thread (sdk/medialog.py), which encodes it (sdk/mediaencode.py),
names it by its SHA-256 and stores it. Two exceptions, both for safety: a matplotlib figure is
drawn to PNG here (matplotlib is not thread-safe, and the figure may be closed next), and a
torch tensor is cloned (so a training step cannot change it) but copied to the CPU by the
writer, so log() never waits for a device.

`nbytes` is the size of the item as logged (a file's or buffer's bytes, an array's pixel
bytes): the per-item cap and the per-run budget (settings TRAINBOARD_MEDIA_MAX_MB and
TRAINBOARD_MEDIA_BUDGET_MB) are checked against it at log().
"""

from __future__ import annotations

import io
import math
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from trainboard.errors import UsageError
from trainboard.sdk import mediaencode as enc

if TYPE_CHECKING:
    from trainboard.sdk.surface import RunSurface


def _module(x: Any) -> str:
    return type(x).__module__ or ""


class Media:
    """Base of the media types: marks the value for `Run.log()`."""

    _trainboard_media = True
    kind: ClassVar[str] = ""
    caption: str | None
    nbytes: int

    def _trainboard_log(self, run: RunSurface, key: str, step: int) -> None:
        from trainboard.sdk.medialog import log_media

        log_media(run, key, step, [self])

    def encode(self) -> enc.Encoded:
        """The bytes to store (writer thread)."""
        raise NotImplementedError

    def __repr__(self) -> str:
        cap = f" caption={self.caption!r}" if self.caption else ""
        return f"<{type(self).__name__} {self.nbytes} bytes{cap}>"


def _caption(where: str, caption: Any) -> str | None:
    if caption is None:
        return None
    if not isinstance(caption, str):
        raise TypeError(f"{where}: caption must be a str, got {type(caption).__name__}")
    return caption


class _Source:
    """What a media value was made from: bytes (a file's or a buffer's), a path read later, or
    an array (numpy, or a torch tensor read on the writer thread)."""

    def __init__(self, where: str, data: Any) -> None:
        self.path: str | None = None
        self.raw: bytes | None = None
        self.array: Any = None
        if isinstance(data, bytes | bytearray | memoryview):
            self.raw = bytes(data)
            self.nbytes = len(self.raw)
        elif isinstance(data, str | os.PathLike):
            self.path = os.fspath(data)
            try:
                st = os.stat(self.path)
            except OSError:
                raise UsageError(f"{where}: no file at {self.path!r}") from None
            if not os.path.isfile(self.path):
                raise UsageError(f"{where}: {self.path!r} is not a file")
            self.nbytes = int(st.st_size)
        elif _module(data).startswith("torch"):
            self.array = data.detach().clone()
            self.nbytes = int(data.numel() * data.element_size())
        else:
            import numpy as np

            a = np.array(data, copy=True)
            if a.dtype == object or a.dtype.kind in "USV":
                raise TypeError(
                    f"{where}: expected an array of numbers, a file path or bytes, got "
                    f"{type(data).__name__}"
                )
            self.array = a
            self.nbytes = int(a.nbytes)

    def __getstate__(self) -> dict[str, Any]:
        """What the crash journal keeps (journal/media.py): a torch tensor as a numpy array
        when it is on the CPU; one on a device is not journalled (copying it would wait)."""
        state = dict(self.__dict__)
        a = self.array
        if _module(a).startswith("torch"):
            from trainboard.journal.media import NotJournalled

            if a.device.type != "cpu":
                raise NotJournalled
            try:
                state["array"] = a.numpy()
            except Exception as e:  # bfloat16 and other types numpy lacks
                raise NotJournalled from e
        return state

    def numpy(self) -> Any:
        a = self.array
        if _module(a).startswith("torch"):
            return a.detach().cpu().numpy()
        return a

    def read(self) -> bytes:
        if self.raw is not None:
            return self.raw
        assert self.path is not None
        with open(self.path, "rb") as f:
            return f.read()


def _shape(a: Any) -> tuple[int, ...]:
    return tuple(int(n) for n in a.shape)


class Image(Media):
    """An image: `Image(data_or_path, mode=None, caption=None, format=None)`.

    `data_or_path`: a numpy array or torch tensor (HxW, HxWxC or, for tensors and arrays whose
    first axis is 1, 3 or 4, CxHxW; uint8 as is, floats in [0, 1], bool), a PIL image, a
    matplotlib figure, a file path or the bytes of a PNG/JPEG/GIF/WebP/BMP file. Stored
    lossless (a PNG of the pixels, or the file as it is) unless `format="jpeg"` or `"webp"`
    asks for a smaller, lossy copy. wandb's `file_type=` is `format=`; its boxes, masks and
    classes are accepted and not kept."""

    kind = "image"

    def __init__(
        self,
        data_or_path: Any,
        mode: str | None = None,
        caption: str | None = None,
        format: str | None = None,
        *,
        file_type: str | None = None,
        **_wandb: Any,
    ) -> None:
        self.caption = _caption("Image()", caption)
        fmt = (format or file_type or "png").lower()
        self.format = {"jpg": "jpeg"}.get(fmt, fmt)
        if self.format not in ("png", "jpeg", "webp"):
            raise ValueError(f"Image(): format must be png, jpeg or webp, got {format!r}")
        self.mode = mode
        self._pil: Any = None
        self._source: _Source | None = None
        data = data_or_path
        if hasattr(data, "savefig"):  # a matplotlib figure: drawn now (see the module doc)
            buf = io.BytesIO()
            data.savefig(buf, format="png")
            data = buf.getvalue()
        if _module(data).startswith("PIL."):
            self._pil = data.copy()
            w, h = self._pil.size  # pixel bytes without copying them again
            self.nbytes = int(w * h * max(1, len(self._pil.getbands())))
            return
        src = self._source = _Source("Image()", data)
        self.nbytes = src.nbytes
        if src.array is not None:
            shape = _shape(src.array)
            torch = _module(src.array).startswith("torch")
            self._chw = (
                len(shape) == 3 and shape[0] in (1, 3, 4) and (torch or shape[-1] not in (1, 3, 4))
            )
            hw = shape[1:] if self._chw else shape[:2]
            channels = (shape[0] if self._chw else shape[2]) if len(shape) == 3 else 1
            if len(shape) not in (2, 3) or channels not in (1, 3, 4) or 0 in hw:
                raise ValueError(
                    f"Image(): expected an HxW, HxWxC or CxHxW array (C = 1, 3 or 4), got "
                    f"shape {shape}"
                )
            enc.pil()  # MissingExtraError now, not on the writer thread
        elif src.raw is not None and enc.sniff(src.raw) not in _IMAGE_TYPES:
            raise ValueError("Image(): the bytes are not a PNG, JPEG, GIF, WebP or BMP file")
        elif src.path is not None and enc.mime_of_path(src.path) not in _IMAGE_TYPES:
            raise ValueError(f"Image(): {src.path!r} is not a .png, .jpg, .gif, .webp or .bmp file")

    def encode(self) -> enc.Encoded:
        if self._pil is not None:
            return enc.pil_image(self._pil, self.format)
        src = self._source
        assert src is not None
        if src.array is not None:
            a = src.numpy()
            if self._chw:
                a = a.transpose(1, 2, 0)
            return enc.png_of_array(a, self.mode, self.format)
        data = src.read()
        mime = enc.sniff(data) or (enc.mime_of_path(src.path) if src.path else None)
        if mime not in _IMAGE_TYPES:
            raise ValueError("the file is not a PNG, JPEG, GIF, WebP or BMP image")
        if self.format != "png" and format_of(mime) != self.format:
            from PIL import Image as PILImage

            return enc.pil_image(PILImage.open(io.BytesIO(data)), self.format)
        w, h = enc.image_size(data)
        return enc.Encoded(str(mime), data, w, h)


_IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp")
_AUDIO_TYPES = ("audio/wav", "audio/mpeg", "audio/ogg", "audio/flac")
_VIDEO_TYPES = ("video/mp4", "video/webm", "image/gif")


def format_of(mime: str) -> str:
    return mime.split("/")[1]


class Audio(Media):
    """A sound: `Audio(data_or_path, sample_rate=None, caption=None)`.

    `data_or_path`: samples (numpy or torch; n, n x channels or, with up to 8 rows, channels
    x n) with their `sample_rate`, kept every sample (float as a 32-bit float WAV, int16/int32
    as PCM); or a .wav/.mp3/.ogg/.flac file or its bytes, kept as they are."""

    kind = "audio"

    def __init__(
        self, data_or_path: Any, sample_rate: int | None = None, caption: str | None = None
    ) -> None:
        self.caption = _caption("Audio()", caption)
        src = self._source = _Source("Audio()", data_or_path)
        self.nbytes = src.nbytes
        self.sample_rate = sample_rate
        if src.array is not None:
            if (
                not isinstance(sample_rate, int)
                or isinstance(sample_rate, bool)
                or sample_rate <= 0
            ):
                raise ValueError(
                    f"Audio(): samples need sample_rate= (a positive int), got {sample_rate!r}"
                )
            shape = _shape(src.array)
            if len(shape) not in (1, 2) or 0 in shape:
                raise ValueError(f"Audio(): expected n or n x channels samples, got {shape}")
        elif src.raw is not None and enc.sniff(src.raw) not in _AUDIO_TYPES:
            raise ValueError("Audio(): the bytes are not a WAV, MP3, OGG or FLAC file")
        elif src.path is not None and enc.mime_of_path(src.path) not in _AUDIO_TYPES:
            raise ValueError(f"Audio(): {src.path!r} is not a .wav, .mp3, .ogg or .flac file")

    def encode(self) -> enc.Encoded:
        src = self._source
        if src.array is not None:
            a = src.numpy()
            if a.ndim == 2 and a.shape[0] <= 8 < a.shape[1]:
                a = a.T  # channels x samples (torchaudio's order)
            rate = int(self.sample_rate or 0)
            meta = {"sample_rate": rate, "seconds": round(a.shape[0] / rate, 3)}
            return enc.Encoded("audio/wav", enc.wav(a, rate), meta=meta)
        data = src.read()
        mime = enc.sniff(data) or (enc.mime_of_path(src.path) if src.path else None)
        if mime not in _AUDIO_TYPES:
            raise ValueError("the file is not a WAV, MP3, OGG or FLAC sound")
        return enc.Encoded(str(mime), data)


class Video(Media):
    """A video: `Video(data_or_path, caption=None, fps=4, format=None)`.

    `data_or_path`: frames (numpy or torch, T x C x H x W as in wandb, or T x H x W x C),
    kept as an animated GIF at `fps`; or an .mp4/.webm/.gif file or its bytes, as they are."""

    kind = "video"

    def __init__(
        self,
        data_or_path: Any,
        caption: str | None = None,
        fps: float = 4,
        format: str | None = None,
    ) -> None:
        self.caption = _caption("Video()", caption)
        if not isinstance(fps, int | float) or not math.isfinite(fps) or fps <= 0:
            raise ValueError(f"Video(): fps must be a positive number, got {fps!r}")
        self.fps = float(fps)
        src = self._source = _Source("Video()", data_or_path)
        self.nbytes = src.nbytes
        if src.array is not None:
            shape = _shape(src.array)
            if (
                len(shape) != 4
                or 0 in shape
                or (shape[1] not in (1, 3, 4) and shape[3] not in (1, 3, 4))
            ):
                raise ValueError(
                    f"Video(): expected T x C x H x W or T x H x W x C frames, got {shape}"
                )
            enc.pil()
        elif src.raw is not None and enc.sniff(src.raw) not in _VIDEO_TYPES:
            raise ValueError("Video(): the bytes are not an MP4, WebM or GIF file")
        elif src.path is not None and enc.mime_of_path(src.path) not in _VIDEO_TYPES:
            raise ValueError(f"Video(): {src.path!r} is not an .mp4, .webm or .gif file")

    def encode(self) -> enc.Encoded:
        src = self._source
        if src.array is not None:
            a = src.numpy()
            if a.shape[1] in (1, 3, 4) and a.shape[3] not in (1, 3, 4):
                a = a.transpose(0, 2, 3, 1)
            return enc.gif(a, self.fps)
        data = src.read()
        mime = enc.sniff(data) or (enc.mime_of_path(src.path) if src.path else None)
        if mime not in _VIDEO_TYPES:
            raise ValueError("the file is not an MP4, WebM or GIF video")
        return enc.Encoded(str(mime), data)


def _cell(where: str, v: Any) -> Any:
    """A table cell as kept: text, a number, a bool, None, or a media value."""
    if v is None or isinstance(v, str | bool | int | float | Media):
        return v
    if hasattr(v, "item") and getattr(v, "ndim", 1) == 0:  # numpy / torch scalars
        return v.item()
    if _module(v).startswith("PIL.") or hasattr(v, "savefig"):
        return Image(v)
    return str(v)


class Table(Media):
    """A table of samples: `Table(columns=None, data=None, rows=None, dataframe=None)`, rows
    added with `add_data(*row)`. Cells are text, numbers, bools, None or media (Image, Audio,
    Video; PIL images and figures become Images); anything else is kept as its str().

    Logged, it is kept as it is at that moment (a later add_data() changes the next log)."""

    kind = "table"

    def __init__(
        self,
        columns: Sequence[str] | None = None,
        data: Sequence[Sequence[Any]] | None = None,
        rows: Sequence[Sequence[Any]] | None = None,
        dataframe: Any = None,
        caption: str | None = None,
        **_wandb: Any,
    ) -> None:
        self.caption = _caption("Table()", caption)
        if dataframe is not None:
            columns = [str(c) for c in dataframe.columns]
            data = dataframe.values.tolist()
        self.data: list[list[Any]] = []
        given = data if data is not None else rows or []
        width = max((len(r) for r in given), default=0)
        self.columns = [str(c) for c in columns] if columns else [f"col{i}" for i in range(width)]
        for row in given:
            self.add_data(*row)

    @property
    def nbytes(self) -> int:  # type: ignore[override]
        total = 0
        for row in self.data:
            for v in row:
                total += v.nbytes if isinstance(v, Media) else len(str(v))
        return total

    def add_data(self, *row: Any) -> None:
        if len(row) != len(self.columns):
            raise ValueError(
                f"Table.add_data(): expected {len(self.columns)} values (columns "
                f"{self.columns}), got {len(row)}"
            )
        self.data.append([_cell("Table.add_data()", v) for v in row])

    def add_column(self, name: str, data: Sequence[Any]) -> None:
        if self.data and len(data) != len(self.data):
            raise ValueError(
                f"Table.add_column(): {name!r} needs {len(self.data)} values, got {len(data)}"
            )
        self.columns.append(str(name))
        if not self.data:
            self.data = [[_cell("Table.add_column()", v)] for v in data]
        else:
            for row, v in zip(self.data, data, strict=True):
                row.append(_cell("Table.add_column()", v))

    def get_column(self, name: str) -> list[Any]:
        i = self.columns.index(name)
        return [r[i] for r in self.data]

    def snapshot(self) -> Table:
        """A copy of the rows as they are now (what log() keeps)."""
        t = Table(columns=list(self.columns), caption=self.caption)
        t.data = [list(r) for r in self.data]
        return t

    def encode(self) -> enc.Encoded:
        import orjson

        from trainboard.jsonvalues import spell
        from trainboard.store.mediarecords import digest_of

        cells: dict[str, tuple[str, bytes]] = {}
        out_rows = []
        for row in self.data:
            out = []
            for v in row:
                if isinstance(v, Media):
                    e = v.encode()
                    d = digest_of(e.data)
                    cells[d] = (e.mime, e.data)
                    cell: dict[str, Any] = {
                        "kind": v.kind,
                        "digest": d,
                        "mime": e.mime,
                        "caption": v.caption,
                    }
                    if e.width is not None:
                        cell.update(width=e.width, height=e.height)
                    out.append({"media": cell})
                elif isinstance(v, float) and not math.isfinite(v):
                    out.append(spell(v))
                else:
                    out.append(v)
            out_rows.append(out)
        doc = orjson.dumps({"columns": self.columns, "rows": out_rows})
        meta = {"columns": self.columns, "rows": len(self.data)}
        return enc.Encoded("application/json", doc, meta=meta, cells=cells)


__all__ = ["Audio", "Image", "Media", "Table", "Video"]
