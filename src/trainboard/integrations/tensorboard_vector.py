"""Many scalar events at once: the layout torch's `add_scalar` and TF1 summaries write, one
`simple_value` an event, decoded for a whole batch of records with numpy.

    Event   = 09 <wall_time f64> 10 <step varint> 2a <L1> Summary
    Summary = 0a <L2> Value                  (one value)
    Value   = 0a <L3> <tag, L3 bytes> 15 <simple_value f32>

A record is taken only when every byte of it is accounted for by that layout (markers at
their places, L1 == L2 + 2, L2 == L3 + 7, the record's length == what the layout says, the
tag free of NUL bytes); any other record (step 0, which protobuf leaves out, several values,
tensors, metadata...) is left to the record-at-a-time path (tensorboard_events.parse).
tests/integrations compare the result with TensorBoard's own loader.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

MIN_BATCH = 256  # below this, the per-record path is as fast


def decode(records: list[bytes]) -> tuple[dict[str, tuple[Any, Any, Any]], list[int], Any]:
    """({tag: (steps int64, walls f64, values f64)}, indices of the records not taken,
    wall times of the records taken) for `records`."""
    n = len(records)
    if n < MIN_BATCH:
        return {}, list(range(n)), np.empty(0)
    lens = np.fromiter(map(len, records), dtype=np.int64, count=n)
    raw = np.frombuffer(b"".join(records), dtype=np.uint8)
    total = raw.shape[0]
    pad = np.concatenate([raw, np.zeros(160, dtype=np.uint8)])
    last = total + 159
    starts = np.zeros(n, dtype=np.int64)
    np.cumsum(lens[:-1], out=starts[1:])

    def at(off: npt.NDArray[np.int64] | int) -> Any:
        return pad[np.minimum(starts + off, last)].astype(np.int64)

    def span(off: npt.NDArray[np.int64] | int, width: int) -> Any:
        idx = (starts + off)[:, None] + np.arange(width)
        return pad[np.minimum(idx, last)]

    ok = (lens >= 22) & (at(0) == 0x09) & (at(9) == 0x10)
    wall = np.ascontiguousarray(span(1, 8)).view("<f8").reshape(n)
    vb = span(10, 10)
    cont = vb >= 0x80
    ok &= ~cont.all(axis=1)
    slen = np.argmin(cont, axis=1) + 1
    live = np.arange(10) < slen[:, None]
    parts = (vb & 0x7F).astype(np.uint64) << (np.arange(10, dtype=np.uint64) * np.uint64(7))
    step = np.bitwise_or.reduce(np.where(live, parts, np.uint64(0)), axis=1).view(np.int64)
    p = 10 + slen
    l1, l2, l3 = at(p + 1), at(p + 3), at(p + 5)
    ok &= (at(p) == 0x2A) & (at(p + 2) == 0x0A) & (at(p + 4) == 0x0A)
    ok &= (l1 < 0x80) & (l2 < 0x80) & (l3 < 0x80) & (l3 > 0)
    ok &= (l2 == l3 + 7) & (l1 == l2 + 2) & (lens == p + 2 + l1)
    ok &= at(p + 6 + l3) == 0x15
    taken = np.flatnonzero(ok)
    rest = np.flatnonzero(~ok).tolist()
    if not taken.size:
        return {}, rest, np.empty(0)
    starts, p, l3 = starts[taken], p[taken], l3[taken]
    vidx = (starts + p + 7 + l3)[:, None] + np.arange(4)
    value = np.ascontiguousarray(pad[vidx]).view("<f4").reshape(-1).astype(np.float64)
    width = int(l3.max())
    tidx = (starts + p + 6)[:, None] + np.arange(width)
    inside = np.arange(width) < l3[:, None]
    tagmat = np.where(inside, pad[np.minimum(tidx, last)], np.uint8(0))
    has_nul = ((tagmat == 0) & inside).any(axis=1)
    if has_nul.any():  # a NUL inside a tag would not survive the fixed-width strings
        rest = sorted(rest + taken[has_nul].tolist())
        keep = ~has_nul
        taken, tagmat, value = taken[keep], tagmat[keep], value[keep]
    # group by tag through a 64-bit hash of its bytes (sorting integers, not strings), and
    # check that every member of a group has its first member's bytes
    h = np.zeros(tagmat.shape[0], dtype=np.uint64)
    for j in range(width):
        h = h * np.uint64(1099511628211) ^ tagmat[:, j].astype(np.uint64)
    keys, first, inverse = np.unique(h, return_index=True, return_inverse=True)
    if not (tagmat == tagmat[first][inverse]).all():  # a collision: let the slow path decide
        return {}, list(range(n)), np.empty(0)
    steps, walls = step[taken], wall[taken]
    out: dict[str, tuple[Any, Any, Any]] = {}
    for k in range(keys.shape[0]):
        sel = inverse == k
        name = bytes(tagmat[first[k]]).rstrip(b"\0").decode("utf-8", "replace")
        out[name] = (steps[sel], walls[sel], value[sel])
    return out, rest, walls
