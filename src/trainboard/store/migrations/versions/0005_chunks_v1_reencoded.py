"""Chunk blobs of format version 1 re-encoded in the current format.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01

The first stores wrote version-1 chunks, in two layouts that share the version byte (the
second added a 17-byte header per int column without bumping it). The codec reads versions 2
and 3 only, so the points of such a store would not read back. This revision decodes the
version-1 blobs with a frozen copy of their decoder and writes them again with the current
encoder (which every later reader understands). Stores without version-1 chunks change
nothing.
"""

from __future__ import annotations

import struct
from typing import Any

import numpy as np
import numpy.typing as npt
import sqlalchemy as sa
import zstandard
from alembic import op

from trainboard.store.codec import chunks as codec

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None

_HEADER = struct.Struct("<2sBBI")
_COLUMN = struct.Struct("<qBq")
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
_WIDTH: dict[int, Any] = {1: np.int8, 2: np.int16, 4: np.int32, 8: np.int64}

Ints = npt.NDArray[np.int64]


def _unshuffle(buf: bytes, offset: int, n: int, dtype: Any) -> npt.NDArray[Any]:
    size = np.dtype(dtype).itemsize
    planes = np.frombuffer(buf, dtype=np.uint8, count=n * size, offset=offset)
    out: npt.NDArray[Any] = np.ascontiguousarray(planes.reshape(size, n).T).view(dtype)
    return out.reshape(n)


def _column(head: tuple[int, int, int], raw: bytes, off: int, n: int) -> tuple[Ints, int]:
    first, width, stride = head
    if n == 0:
        return np.empty(0, dtype=np.int64), off
    if width == 0:
        with np.errstate(over="ignore"):
            return np.arange(n, dtype=np.int64) * stride + first, off
    out = np.empty(n, dtype=np.int64)
    out[0] = first
    out[1:] = _unshuffle(raw, off, n - 1, _WIDTH[width])
    return np.cumsum(out, dtype=np.int64), off + (n - 1) * width


def decode_v1(blob: bytes) -> tuple[Ints, Ints, npt.NDArray[np.float64]]:
    """Steps, µs wall times and values of a version-1 blob, either layout."""
    _, _, flags, n = _HEADER.unpack_from(blob)
    vtype: Any = np.float32 if flags & 1 else np.float64
    vsize = np.dtype(vtype).itemsize
    dctx = zstandard.ZstdDecompressor()
    if blob[_HEADER.size : _HEADER.size + 4] == _ZSTD_MAGIC:  # first layout: one frame
        raw = dctx.decompress(blob[_HEADER.size :], max_output_size=n * (16 + vsize))
        steps = np.cumsum(_unshuffle(raw, 0, n, np.int64), dtype=np.int64)
        times = np.cumsum(_unshuffle(raw, 8 * n, n, np.int64), dtype=np.int64)
        values = _unshuffle(raw, 16 * n, n, vtype)
        return steps, times, values.astype(np.float64)
    step_head = _COLUMN.unpack_from(blob, _HEADER.size)
    time_head = _COLUMN.unpack_from(blob, _HEADER.size + _COLUMN.size)
    size = max(n - 1, 0) * (step_head[1] + time_head[1]) + n * vsize
    raw = dctx.decompress(blob[_HEADER.size + 2 * _COLUMN.size :], max_output_size=size)
    steps, off = _column(step_head, raw, 0, n)
    times, off = _column(time_head, raw, off, n)
    return steps, times, _unshuffle(raw, off, n, vtype).astype(np.float64)


def upgrade() -> None:
    conn = op.get_bind()
    chunks = sa.table(
        "chunks",
        sa.column("run_id"),
        sa.column("key"),
        sa.column("seq"),
        sa.column("data", sa.LargeBinary),
    )
    version = sa.func.substr(chunks.c.data, 3, 1)
    old = sa.select(chunks).where(version == sa.literal(b"\x01", sa.LargeBinary))
    update = (
        sa.update(chunks)
        .where(
            chunks.c.run_id == sa.bindparam("b_run"),
            chunks.c.key == sa.bindparam("b_key"),
            chunks.c.seq == sa.bindparam("b_seq"),
        )
        .values(data=sa.bindparam("b_data"))
    )
    for row in conn.execute(old).all():
        blob = bytes(row.data)
        if blob[:2] != b"TB":
            continue
        data = codec.encode(*decode_v1(blob))
        conn.execute(
            update, {"b_run": row.run_id, "b_key": row.key, "b_seq": row.seq, "b_data": data}
        )


def downgrade() -> None:
    """Nothing to undo: the re-encoded points are the same points (older code cannot read
    them, but older code cannot read version-2 chunks either)."""
