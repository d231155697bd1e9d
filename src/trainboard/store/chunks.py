"""The chunk codec: a block of (step, wall_time, value) points as one compact, lossless blob.

Why this shape: a training series is steps 0..N-1, wall times a roughly constant interval
apart and float32 values. Delta-encoding steps and times turns them into near-constant
integers; byte-shuffling puts the equal high bytes of every number side by side, and
zstandard then squeezes those runs to almost nothing. A typical series costs ~5 bytes a point.

Exactness:
    values  bit-for-bit, NaN payloads and ±inf included. They are kept as float32 when every
            value of the chunk round-trips through float32 exactly (true for `tensor.item()`
            of float32 tensors), else as float64.
    steps   exact (int64).
    times   microsecond precision: wall times are stored as int64 microseconds since the epoch.

Blob layout: 8-byte header (magic "TB", version, flags, point count as uint32), a 17-byte
header per int column (first value, delta width, constant stride), the length of the next
frame (uint32), a zstandard frame of shuffled step deltas | shuffled µs-time deltas, and a
zstandard frame of the shuffled value bits (or of the differences of consecutive bit
patterns, whichever is smaller: smooth series like a learning-rate schedule halve). A column
whose deltas are all equal (steps 0, 1, 2, ...) has no payload; other deltas take the
narrowest int type that holds them.
"""

from __future__ import annotations

import struct
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import zstandard

from trainboard.errors import StoreError

MAGIC = b"TB"
VERSION = 2
FLAG_F32 = 1  # values stored as float32 (each one round-trips exactly)
FLAG_VDELTA = 2  # values stored as differences of consecutive bit patterns
_HEADER = struct.Struct("<2sBBI")
_COLUMN = struct.Struct("<qBq")  # first value, delta width in bytes (0 = constant), stride
_LEN = struct.Struct("<I")  # length of the int columns' zstd frame (0: no payload)
ZSTD_LEVEL = 3

_local = threading.local()


def _cctx() -> zstandard.ZstdCompressor:
    c: zstandard.ZstdCompressor | None = getattr(_local, "c", None)
    if c is None:
        c = _local.c = zstandard.ZstdCompressor(level=ZSTD_LEVEL)
    return c


def _dctx() -> zstandard.ZstdDecompressor:
    d: zstandard.ZstdDecompressor | None = getattr(_local, "d", None)
    if d is None:
        d = _local.d = zstandard.ZstdDecompressor()
    return d


@dataclass
class Points:
    """Decoded columns of one chunk, in the order they were written."""

    steps: npt.NDArray[np.int64]
    times: npt.NDArray[np.float64]
    values: npt.NDArray[np.float64]

    def __len__(self) -> int:
        return int(self.steps.shape[0])


def times_to_us(times: npt.NDArray[np.float64]) -> npt.NDArray[np.int64]:
    """Wall times (float seconds) -> int64 microseconds, the precision the store keeps."""
    return np.rint(times * 1e6).astype(np.int64)


def _shuffle(a: npt.NDArray[Any]) -> bytes:
    """Byte planes: all first bytes, then all second bytes, ... (zstd loves the equal ones)."""
    return np.ascontiguousarray(a).view(np.uint8).reshape(-1, a.itemsize).T.tobytes()


def _unshuffle(buf: bytes, offset: int, n: int, dtype: Any) -> npt.NDArray[Any]:
    size = np.dtype(dtype).itemsize
    planes = np.frombuffer(buf, dtype=np.uint8, count=n * size, offset=offset).reshape(size, n)
    out = np.empty((n, size), dtype=np.uint8)
    for i in range(size):  # column copies beat a generic byte transpose by ~3x
        out[:, i] = planes[i]
    result: npt.NDArray[Any] = out.view(dtype).reshape(n)
    return result


_WIDTHS = ((1, np.int8), (2, np.int16), (4, np.int32), (8, np.int64))
_DTYPE_OF_WIDTH: dict[int, Any] = dict(_WIDTHS)


def _pack_ints(a: npt.NDArray[np.int64]) -> tuple[bytes, bytes]:
    """Delta-encode one int64 column: (column header, shuffled payload). Constant strides
    (steps 0, 1, 2, ...) cost no payload at all; other deltas use the narrowest int type."""
    n = a.shape[0]
    if n == 0:
        return _COLUMN.pack(0, 0, 0), b""
    with np.errstate(over="ignore"):  # deltas wrap like the cumsum that undoes them
        d = a[1:] - a[:-1]
    if n == 1 or bool(np.all(d == d[0])):
        return _COLUMN.pack(int(a[0]), 0, int(d[0]) if n > 1 else 0), b""
    lo, hi = int(d.min()), int(d.max())
    for width, dtype in _WIDTHS:
        info = np.iinfo(dtype)
        if info.min <= lo and hi <= info.max:
            return _COLUMN.pack(int(a[0]), width, 0), _shuffle(d.astype(dtype))
    raise AssertionError("unreachable: int64 deltas fit int64")


def _unpack_ints(
    head: tuple[int, int, int], buf: bytes, offset: int, out: npt.NDArray[np.int64]
) -> int:
    """Undo _pack_ints into `out`; return the payload offset after this column."""
    first, width, stride = head
    n = out.shape[0]
    if n == 0:
        return offset
    if width == 0:
        if stride == 0:
            out.fill(first)
        elif -(2**62) < first < 2**62 and -(2**62) < first + stride * n < 2**62:
            out[:] = np.arange(first, first + stride * n, stride, dtype=np.int64)[:n]
        else:  # near the int64 limits: wrap like the deltas did
            with np.errstate(over="ignore"):
                np.multiply(np.arange(n, dtype=np.int64), stride, out=out)
                out += first
        return offset
    out[0] = first
    out[1:] = _unshuffle(buf, offset, n - 1, _DTYPE_OF_WIDTH[width])
    np.cumsum(out, out=out)
    return int(offset + (n - 1) * width)


def fits_float32(values: npt.NDArray[np.float64]) -> bool:
    """True when every value survives float64 -> float32 -> float64 bit-for-bit."""
    with np.errstate(over="ignore", invalid="ignore"):
        back = values.astype(np.float32).astype(np.float64)
    return bool(np.array_equal(back.view(np.uint64), values.view(np.uint64)))


def encode(
    steps: npt.NDArray[np.int64], times_us: npt.NDArray[np.int64], values: npt.NDArray[np.float64]
) -> bytes:
    """One blob for parallel arrays of steps, wall times (int64 µs) and float64 values."""
    n = int(steps.shape[0])
    if not (times_us.shape[0] == n == values.shape[0]):
        raise ValueError(
            f"chunk columns differ in length: {n}, {times_us.shape[0]}, {values.shape[0]}"
        )
    values = np.ascontiguousarray(values, dtype=np.float64)
    f32 = fits_float32(values)
    bits = values.astype(np.float32).view(np.uint32) if f32 else values.view(np.uint64)
    step_head, step_data = _pack_ints(np.asarray(steps, dtype=np.int64))
    time_head, time_data = _pack_ints(np.asarray(times_us, dtype=np.int64))
    cctx = _cctx()
    ints = step_data + time_data
    ints_frame = cctx.compress(ints) if ints else b""
    flags = FLAG_F32 if f32 else 0
    vframe = cctx.compress(_shuffle(bits))
    if n > 2:
        # smooth series (a learning-rate schedule, a token counter) shrink a lot more as
        # differences of their bit patterns; noisy ones do not: keep whichever is smaller
        diffs = np.empty_like(bits)
        diffs[0] = bits[0]
        np.subtract(bits[1:], bits[:-1], out=diffs[1:])  # unsigned: wraps, cumsum undoes it
        dframe = cctx.compress(_shuffle(diffs))
        if len(dframe) < len(vframe):
            vframe, flags = dframe, flags | FLAG_VDELTA
    header = _HEADER.pack(MAGIC, VERSION, flags, n) + step_head + time_head
    return header + _LEN.pack(len(ints_frame)) + ints_frame + vframe


def points_in(blob: bytes | memoryview) -> int:
    """How many points a blob holds (its header only)."""
    return int(_HEADER.unpack_from(blob)[3])


def decode_into(
    blob: bytes | memoryview,
    steps: npt.NDArray[np.int64],
    times_us: npt.NDArray[np.int64],
    values: npt.NDArray[np.float64],
) -> None:
    """Decode a blob made by `encode` into slices of preallocated columns (exactly as long
    as the blob's point count), so reading many chunks never concatenates."""
    mv = memoryview(blob)
    fixed = _HEADER.size + 2 * _COLUMN.size + _LEN.size
    if len(mv) < fixed:
        raise StoreError(f"not a trainboard chunk ({len(mv)} bytes)")
    magic, version, flags, n = _HEADER.unpack_from(mv)
    if magic != MAGIC or version != VERSION:
        raise StoreError(f"not a trainboard chunk (magic {magic!r}, version {version})")
    if not (steps.shape[0] == times_us.shape[0] == values.shape[0] == n):
        raise ValueError(f"decode_into: outputs must hold {n} points, got {steps.shape[0]}")
    step_head = _COLUMN.unpack_from(mv, _HEADER.size)
    time_head = _COLUMN.unpack_from(mv, _HEADER.size + _COLUMN.size)
    (ints_len,) = _LEN.unpack_from(mv, fixed - _LEN.size)
    dctx = _dctx()
    ints_size = max(n - 1, 0) * (step_head[1] + time_head[1])
    raw = (
        dctx.decompress(mv[fixed : fixed + ints_len], max_output_size=ints_size)
        if ints_len
        else b""
    )
    vsize = 4 if flags & FLAG_F32 else 8
    vraw = dctx.decompress(mv[fixed + ints_len :], max_output_size=n * vsize) if n else b""
    if len(raw) != ints_size or len(vraw) != n * vsize:
        raise StoreError(f"corrupt chunk: {len(raw)} + {len(vraw)} bytes for {n} points")
    off = _unpack_ints(step_head, raw, 0, steps)
    _unpack_ints(time_head, raw, off, times_us)
    bits = _unshuffle(vraw, 0, n, np.uint32 if vsize == 4 else np.uint64)
    if flags & FLAG_VDELTA:
        np.cumsum(bits, out=bits)
    values[:] = bits.view(np.float32 if vsize == 4 else np.float64)


def decode_us(
    blob: bytes | memoryview,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """Steps, exact int64 µs wall times and float64 values of a blob made by `encode`."""
    n = points_in(blob) if len(blob) >= _HEADER.size else 0
    steps, times_us = np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64)
    values = np.empty(n, dtype=np.float64)
    decode_into(blob, steps, times_us, values)
    return steps, times_us, values


def decode(blob: bytes | memoryview) -> Points:
    """The columns of a blob made by `encode`, times as float seconds."""
    steps, times_us, values = decode_us(blob)
    return Points(steps, times_us / 1e6, values)
