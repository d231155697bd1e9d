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

Blob layout (version 3): 8-byte header (magic "TB", version, flags, point count as uint32), a
17-byte header per int column (first value, delta width, base), the length of the int
payload (uint32), the int payload (step deltas | µs-time deltas), then the value payload.
A column whose deltas are all equal (steps 0, 1, 2, ...) has no payload (width 0, base = the
stride); other columns store each delta minus the smallest one (base) as the narrowest
unsigned int that holds them (jittered wall times 0.1 s apart: 2 bytes). Each payload is
either raw little-endian numbers or a zstandard frame of their shuffled bytes, whichever the
encoder picked: zstd only where it saves at least 30% (noisy float32 losses and
jittered times barely shrink, and raw columns decode ~5x faster: no decompression, no byte
unshuffle). Values are the value bits, or the differences of consecutive bit patterns when
that compresses better (smooth series like a learning-rate schedule halve).

Version-2 blobs (signed deltas, always shuffled and compressed) are still read.
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
VERSION = 3
FLAG_F32 = 1  # values stored as float32 (each one round-trips exactly)
FLAG_VDELTA = 2  # values stored as differences of consecutive bit patterns
FLAG_INTS_RAW = 4  # version 3: the int payload is raw, not a zstd frame of shuffled bytes
FLAG_VALUES_RAW = 8  # version 3: the value payload is raw, not a zstd frame of shuffled bytes
ZSTD_WORTH = 0.7  # keep a zstd frame only when it saves at least 30% of the raw bytes
_HEADER = struct.Struct("<2sBBI")
_COLUMN = struct.Struct("<qBq")  # first value, delta width in bytes (0 = constant), base
_LEN = struct.Struct("<I")  # length of the int payload (0: none)
_FIXED = struct.Struct("<2sBBIqBqqBqI")  # all of the above, in blob order
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
_UWIDTHS = ((1, np.uint8), (2, np.uint16), (4, np.uint32), (8, np.uint64))
_UDTYPE_OF_WIDTH: dict[int, Any] = dict(_UWIDTHS)
_RAMP = np.arange(8192, dtype=np.int64)  # 0, 1, 2, ... for steps of a chunk (8,192 points)
_RAMP.flags.writeable = False


_UMAX = tuple((width, dtype, int(np.iinfo(dtype).max)) for width, dtype in _UWIDTHS)


def _pack_ints(a: npt.NDArray[np.int64]) -> tuple[bytes, npt.NDArray[Any] | None]:
    """Delta-encode one int64 column: (column header, deltas minus their minimum as the
    narrowest unsigned type, or None). Constant strides (steps 0, 1, 2, ...) cost no payload.
    Array methods, not np.* functions: a run's small chunks pay numpy's call overhead, not
    its arithmetic."""
    n = a.shape[0]
    if n == 0:
        return _COLUMN.pack(0, 0, 0), None
    if n == 1:
        return _COLUMN.pack(int(a[0]), 0, 0), None
    d = a[1:] - a[:-1]  # int64 arrays wrap silently, like the cumsum that undoes them
    lo, hi = int(d.min()), int(d.max())
    if lo == hi:
        return _COLUMN.pack(int(a[0]), 0, lo), None
    for width, dtype, top in _UMAX:
        if hi - lo <= top:
            off = d.view(np.uint64) - np.uint64(lo % 2**64)  # wraps; the decoder wraps back
            return _COLUMN.pack(int(a[0]), width, lo), off.astype(dtype)
    raise AssertionError("unreachable: int64 deltas span at most 2**64 - 1")


def _unpack_ints(
    head: tuple[int, int, int], buf: Any, offset: int, out: npt.NDArray[np.int64]
) -> int:
    """Undo _pack_ints (version 3) into `out`; return the payload offset after this column."""
    first, width, base = head
    n = out.shape[0]
    if n == 0:
        return offset
    if width == 0:
        _fill_stride(first, base, out)
        return offset
    out[0] = first
    d = np.frombuffer(buf, dtype=_UDTYPE_OF_WIDTH[width], count=n - 1, offset=offset)
    # int64 array arithmetic wraps silently, exactly as the encoder's deltas did
    np.add(d.view(np.int64) if width == 8 else d, np.int64(base), out=out[1:])
    np.cumsum(out, out=out)
    return int(offset + (n - 1) * width)


def _fill_stride(first: int, stride: int, out: npt.NDArray[np.int64]) -> None:
    n = out.shape[0]
    if stride == 0:
        out.fill(first)
    elif n <= _RAMP.shape[0] and stride == 1 and -(2**62) < first < 2**62:
        np.add(_RAMP[:n], np.int64(first), out=out)  # one pass, no temporary
    elif -(2**62) < first < 2**62 and -(2**62) < first + stride * n < 2**62:
        out[:] = np.arange(first, first + stride * n, stride, dtype=np.int64)[:n]
    else:  # near the int64 limits: wrap like the deltas did
        with np.errstate(over="ignore"):
            np.multiply(np.arange(n, dtype=np.int64), stride, out=out)
            out += first


def _unpack_ints_v2(
    head: tuple[int, int, int], buf: bytes, offset: int, out: npt.NDArray[np.int64]
) -> int:
    """Undo version 2's signed shuffled deltas into `out`; return the offset after them."""
    first, width, stride = head
    n = out.shape[0]
    if n == 0:
        return offset
    if width == 0:
        _fill_stride(first, stride, out)
        return offset
    out[0] = first
    out[1:] = _unshuffle(buf, offset, n - 1, _DTYPE_OF_WIDTH[width])
    np.cumsum(out, out=out)
    return int(offset + (n - 1) * width)


def _as_float32(values: npt.NDArray[np.float64]) -> npt.NDArray[np.float32] | None:
    """The values as float32 when every one survives float64 -> float32 -> float64
    bit-for-bit, else None."""
    with np.errstate(over="ignore", invalid="ignore"):
        f32 = values.astype(np.float32)
    back = f32.astype(np.float64)
    return f32 if (back.view(np.uint64) == values.view(np.uint64)).all() else None


def fits_float32(values: npt.NDArray[np.float64]) -> bool:
    """True when every value survives float64 -> float32 -> float64 bit-for-bit."""
    return _as_float32(values) is not None


def _smaller(arrays: list[npt.NDArray[Any]]) -> tuple[bytes, bool]:
    """The columns as one payload: (zstd frame of their shuffled bytes, True) when that is
    at most ZSTD_WORTH of the raw bytes, else (raw little-endian bytes, False)."""
    raw = b"".join(np.ascontiguousarray(x).tobytes() for x in arrays)
    if not raw:
        return b"", True
    frame = _cctx().compress(b"".join(_shuffle(x) for x in arrays))
    if len(frame) <= ZSTD_WORTH * len(raw):
        return frame, True
    return raw, False


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
    as32 = _as_float32(values)
    f32 = as32 is not None
    bits = as32.view(np.uint32) if as32 is not None else values.view(np.uint64)
    step_head, step_data = _pack_ints(np.asarray(steps, dtype=np.int64))
    time_head, time_data = _pack_ints(np.asarray(times_us, dtype=np.int64))
    ints, ints_zstd = _smaller([x for x in (step_data, time_data) if x is not None])
    flags = (FLAG_F32 if f32 else 0) | (0 if ints_zstd else FLAG_INTS_RAW)
    vdata, v_zstd = _smaller([bits]) if n else (b"", True)
    if n > 2:
        # smooth series (a learning-rate schedule, a token counter) shrink a lot more as
        # differences of their bit patterns; noisy ones do not: keep whichever is smaller
        diffs = np.empty_like(bits)
        diffs[0] = bits[0]
        np.subtract(bits[1:], bits[:-1], out=diffs[1:])  # unsigned: wraps, cumsum undoes it
        dframe = _cctx().compress(_shuffle(diffs))
        if len(dframe) < len(vdata) and len(dframe) <= ZSTD_WORTH * bits.nbytes:
            vdata, v_zstd, flags = dframe, True, flags | FLAG_VDELTA
    flags |= 0 if v_zstd else FLAG_VALUES_RAW
    header = _HEADER.pack(MAGIC, VERSION, flags, n) + step_head + time_head
    return header + _LEN.pack(len(ints)) + ints + vdata


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
    if magic != MAGIC or version not in (2, VERSION):
        raise StoreError(f"not a trainboard chunk (magic {magic!r}, version {version})")
    if not (steps.shape[0] == times_us.shape[0] == values.shape[0] == n):
        raise ValueError(f"decode_into: outputs must hold {n} points, got {steps.shape[0]}")
    fields = _FIXED.unpack_from(mv)
    step_head, time_head, ints_len = fields[4:7], fields[7:10], fields[10]
    ints_size = max(n - 1, 0) * (step_head[1] + time_head[1])
    vsize = 4 if flags & FLAG_F32 else 8
    ints_raw = version != 2 and flags & FLAG_INTS_RAW
    values_raw = version != 2 and flags & FLAG_VALUES_RAW
    dctx = _dctx()
    payload = mv[fixed : fixed + ints_len]
    raw: Any = payload if ints_raw else b""
    if ints_len and not ints_raw:
        raw = dctx.decompress(payload, max_output_size=ints_size)
    payload = mv[fixed + ints_len :]
    vraw: Any = payload if values_raw else b""
    if n and not values_raw:
        vraw = dctx.decompress(payload, max_output_size=n * vsize)
    if len(raw) != ints_size or len(vraw) != n * vsize:
        raise StoreError(f"corrupt chunk: {len(raw)} + {len(vraw)} bytes for {n} points")
    vtype = np.uint32 if vsize == 4 else np.uint64
    if version == 2:
        off = _unpack_ints_v2(step_head, raw, 0, steps)
        _unpack_ints_v2(time_head, raw, off, times_us)
        bits = _unshuffle(vraw, 0, n, vtype)
    else:
        if not ints_raw and ints_size:  # zstd frames hold the columns' shuffled bytes
            raw = _unshuffle_columns(raw, n - 1, (step_head[1], time_head[1]))
        off = _unpack_ints(step_head, raw, 0, steps)
        _unpack_ints(time_head, raw, off, times_us)
        if values_raw:
            ftype = np.float32 if vsize == 4 else np.float64
            values[:] = np.frombuffer(vraw, dtype=ftype, count=n)
            return
        bits = _unshuffle(vraw, 0, n, vtype)
    if flags & FLAG_VDELTA:
        np.cumsum(bits, out=bits)
    values[:] = bits.view(np.float32 if vsize == 4 else np.float64)


def _unshuffle_columns(buf: bytes, n: int, widths: tuple[int, ...]) -> bytes:
    """The shuffled int columns (each n numbers of its width, one after another) unshuffled."""
    parts, off = [], 0
    for w in widths:
        if w:
            parts.append(_unshuffle(buf, off, n, np.dtype(f"u{w}")).tobytes())
            off += n * w
    return b"".join(parts)


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
