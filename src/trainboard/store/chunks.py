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

Blob layout: 8-byte header (magic "TB", version, flags, point count as uint32), then one
zstandard frame of: shuffled step deltas | shuffled µs-time deltas | shuffled values.
"""

from __future__ import annotations

import struct
import threading
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import zstandard

from trainboard.errors import StoreError

MAGIC = b"TB"
VERSION = 1
FLAG_F32 = 1
_HEADER = struct.Struct("<2sBBI")
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


def _shuffle(a: npt.NDArray[np.generic]) -> bytes:
    return np.ascontiguousarray(a).view(np.uint8).reshape(-1, a.itemsize).T.tobytes()


def _unshuffle(buf: memoryview | bytes, n: int, dtype: type[np.generic]) -> npt.NDArray[np.generic]:
    size = np.dtype(dtype).itemsize
    planes = np.frombuffer(buf, dtype=np.uint8, count=n * size).reshape(size, n)
    return np.ascontiguousarray(planes.T).view(dtype).reshape(n)


def _delta(a: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    out = np.empty_like(a)
    if a.shape[0]:
        out[0] = a[0]
        np.subtract(a[1:], a[:-1], out=out[1:])
    return out


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
    vals: npt.NDArray[np.generic] = values.astype(np.float32) if f32 else values
    with np.errstate(over="ignore"):  # step/time deltas wrap like the cumsum that undoes them
        payload = (
            _shuffle(_delta(steps.astype(np.int64, copy=False)))
            + _shuffle(_delta(times_us.astype(np.int64, copy=False)))
            + _shuffle(vals)
        )
    header = _HEADER.pack(MAGIC, VERSION, FLAG_F32 if f32 else 0, n)
    return header + _cctx().compress(payload)


def decode_us(
    blob: bytes | memoryview,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """Steps, exact int64 µs wall times and float64 values of a blob made by `encode`."""
    mv = memoryview(blob)
    magic, version, flags, n = _HEADER.unpack_from(mv)
    if magic != MAGIC or version != VERSION:
        raise StoreError(f"not a trainboard chunk (magic {magic!r}, version {version})")
    vsize = 4 if flags & FLAG_F32 else 8
    size = n * (16 + vsize)
    raw = _dctx().decompress(mv[_HEADER.size :], max_output_size=size)
    if len(raw) != size:
        raise StoreError(f"corrupt chunk: {len(raw)} bytes for {n} points")
    steps = np.cumsum(_unshuffle(raw[: 8 * n], n, np.int64), dtype=np.int64)
    times_us = np.cumsum(_unshuffle(raw[8 * n : 16 * n], n, np.int64), dtype=np.int64)
    vals = _unshuffle(raw[16 * n :], n, np.float32 if vsize == 4 else np.float64)
    return steps, times_us, vals.astype(np.float64, copy=False)  # type: ignore[return-value]


def decode(blob: bytes | memoryview) -> Points:
    """The columns of a blob made by `encode`, times as float seconds."""
    steps, times_us, values = decode_us(blob)
    return Points(steps, times_us / 1e6, values)
