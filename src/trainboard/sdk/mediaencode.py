"""Media as bytes: arrays to PNG, WAV or GIF, files and bytes kept as they are, and what kind
of file some bytes are. Called on the writer thread (sdk/medialog.py), never in `log()`.

Lossless unless asked: an image array becomes a PNG of exactly its pixels (8-bit, or 16-bit
grey for uint16); a file or bytes are stored byte for byte. Only `format="jpeg"`/`"webp"`
re-encodes with loss. Float audio becomes a 32-bit float WAV (every sample kept), int16 and
int32 audio a PCM WAV of the same width.
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass, field
from typing import Any

from trainboard.errors import MissingExtraError

# what a file's first bytes say it is (the types a browser shows without plugins)
_MAGIC: tuple[tuple[bytes, int, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"GIF87a", 0, "image/gif"),
    (b"GIF89a", 0, "image/gif"),
    (b"BM", 0, "image/bmp"),
    (b"fLaC", 0, "audio/flac"),
    (b"OggS", 0, "audio/ogg"),
    (b"ID3", 0, "audio/mpeg"),
    (b"\x1aE\xdf\xa3", 0, "video/webm"),
    (b"ftyp", 4, "video/mp4"),
)
_SUFFIX = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".bmp": "image/bmp",
    ".wav": "audio/wav",
    ".mp3": "audio/mpeg",
    ".ogg": "audio/ogg",
    ".flac": "audio/flac",
    ".mp4": "video/mp4",
    ".webm": "video/webm",
}


def sniff(data: bytes) -> str | None:
    """The mime type `data` starts like, or None."""
    if data[:4] == b"RIFF" and data[8:12] in (b"WEBP", b"WAVE"):
        return "image/webp" if data[8:12] == b"WEBP" else "audio/wav"
    if data[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"):
        return "audio/mpeg"
    for magic, at, mime in _MAGIC:
        if data[at : at + len(magic)] == magic:
            return mime
    return None


def mime_of_path(path: str) -> str | None:
    dot = path.rfind(".")
    return _SUFFIX.get(path[dot:].lower()) if dot >= 0 else None


@dataclass
class Encoded:
    """One item's bytes and what the store keeps about them."""

    mime: str
    data: bytes
    width: int | None = None
    height: int | None = None
    meta: dict[str, Any] | None = None
    cells: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # a table's media


def pil() -> Any:
    try:
        import PIL.Image
    except ImportError:
        raise MissingExtraError("media from arrays", "media", "pillow") from None
    return PIL.Image


def image_size(data: bytes) -> tuple[int | None, int | None]:
    """Width and height from an image file's header (None, None when PIL cannot tell)."""
    try:
        with pil().open(io.BytesIO(data)) as im:
            return int(im.size[0]), int(im.size[1])
    except Exception:
        return None, None


def image_array(a: Any) -> Any:
    """An HxW, HxWx1/3/4 uint8 (or HxW uint16) array of pixels from what Image() took."""
    import numpy as np

    if a.ndim == 3 and a.shape[-1] == 1:
        a = a[..., 0]
    if a.dtype == np.uint8 or (a.dtype == np.uint16 and a.ndim == 2):
        return np.ascontiguousarray(a)
    if a.dtype == np.bool_:
        return a.astype(np.uint8) * 255
    if a.dtype.kind == "f":
        return np.clip(np.rint(np.nan_to_num(a) * 255.0), 0, 255).astype(np.uint8)
    return np.clip(a, 0, 255).astype(np.uint8)


def png_of_array(a: Any, mode: str | None, fmt: str) -> Encoded:
    pixels = image_array(a)
    img = pil().fromarray(pixels, mode=mode) if mode else pil().fromarray(pixels)
    return pil_image(img, fmt)


def pil_image(img: Any, fmt: str) -> Encoded:
    buf = io.BytesIO()
    if fmt == "png":
        img.save(buf, format="PNG", compress_level=1)
    else:
        if fmt == "jpeg" and img.mode not in ("RGB", "L"):
            img = img.convert("RGB")
        img.save(buf, format=fmt.upper(), quality=90)
    return Encoded(f"image/{fmt}", buf.getvalue(), int(img.size[0]), int(img.size[1]))


def wav(samples: Any, rate: int) -> bytes:
    """A WAV file of `samples` (n or n x channels): float as 32-bit float, ints as PCM."""
    import numpy as np

    a = np.asarray(samples)
    if a.ndim == 1:
        a = a[:, None]
    channels = a.shape[1]
    if a.dtype.kind == "f":
        a, fmt_tag, width = a.astype("<f4"), 3, 4
    elif a.dtype == np.int16:
        a, fmt_tag, width = a.astype("<i2"), 1, 2
    else:
        a, fmt_tag, width = a.astype("<i4"), 1, 4
    body = np.ascontiguousarray(a).tobytes()
    header = b"RIFF" + struct.pack("<I", 36 + len(body)) + b"WAVE"
    header += b"fmt " + struct.pack(
        "<IHHIIHH",
        16,
        fmt_tag,
        channels,
        rate,
        rate * channels * width,
        channels * width,
        8 * width,
    )
    return header + b"data" + struct.pack("<I", len(body)) + body


def gif(frames: Any, fps: float) -> Encoded:
    """An animated GIF of T x H x W x C frames."""
    Image = pil()
    images = [Image.fromarray(image_array(f)) for f in frames]
    buf = io.BytesIO()
    images[0].save(
        buf,
        format="GIF",
        save_all=True,
        append_images=images[1:],
        duration=max(1, int(1000 / fps)),
        loop=0,
    )
    w, h = images[0].size
    return Encoded("image/gif", buf.getvalue(), int(w), int(h), {"frames": len(images), "fps": fps})
