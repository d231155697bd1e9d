"""The server's check of a points op, in its three forms: packed (groups of base64 columns, what
the SDK sends), columns of JSON numbers, and the [step, time, value] rows of earlier clients (read
so an old spool drains). Each becomes a PointBatch checked with numpy, never per point in
Python: steps int64 >= 0, times finite, values any float64 (NaN and ±inf are data)."""

from __future__ import annotations

import binascii
from typing import Any

import numpy as np

from trainboard.errors import UsageError
from trainboard.jsonvalues import parse
from trainboard.store.records import PointBatch


def packed_group(steps: str, times: str, values: dict[str, str]) -> dict[str, PointBatch]:
    """A group of keys logged at the same steps and times: base64 of little-endian int64
    steps and float64 times, sent once, and each key's float64 values."""
    what = f"points of {', '.join(repr(k) for k in list(values)[:3])}"
    s = _column(what, "steps", steps, "<i8")
    t = _column(what, "times", times, "<f8")
    if len(s) != len(t):
        raise UsageError(f"{what}: steps and times differ in length")
    _check(what, s, t)
    out = {}
    for key, text in values.items():
        v = _column(f"points of {key!r}", "values", text, "<f8")
        if len(v) != len(s):
            raise UsageError(f"points of {key!r}: {len(v)} values for {len(s)} steps")
        out[key] = PointBatch(s, t, v)
    return out


def _column(what: str, name: str, text: str, dtype: str) -> np.ndarray[Any, Any]:
    try:
        raw = binascii.a2b_base64(text, strict_mode=True)
    except (binascii.Error, ValueError) as e:
        raise UsageError(f"{what}: {name} is not base64: {e}") from None
    if len(raw) % 8:
        raise UsageError(f"{what}: {name} holds {len(raw)} bytes, not 8 per point")
    return np.frombuffer(raw, dtype=dtype).astype(dtype[1:])  # native byte order, writable


def json_batch(key: str, steps: list[Any], times: list[Any], values: list[Any]) -> PointBatch:
    """Columns of JSON numbers: steps integers (not floats, not bools), times numbers, values
    numbers or the NaN/Infinity spellings."""
    if not len(steps) == len(times) == len(values):
        raise UsageError(f"points of {key!r}: steps, times and values differ in length")
    arr = np.array(steps)
    if len(steps) and (arr.dtype.kind != "i" or any(type(s) is not int for s in steps[:1])):
        raise UsageError(f"points of {key!r}: steps must be integers in int64, got {arr.dtype}")
    s = arr.astype(np.int64, copy=False) if len(steps) else np.zeros(0, np.int64)
    t = _numbers(key, "times", times)
    _check(f"points of {key!r}", s, t)
    return PointBatch(s, t, _numbers(key, "values", values))


def rows_batch(key: str, rows: list[Any]) -> PointBatch:
    if not all(isinstance(r, list) and len(r) == 3 for r in rows):
        raise UsageError(f"points of {key!r}: each row must be [step, time, value]")
    steps, times, values = ([r[i] for r in rows] for i in range(3))
    return json_batch(key, steps, times, values)


def _check(what: str, s: np.ndarray[Any, Any], t: np.ndarray[Any, Any]) -> None:
    if len(s) and int(s.min()) < 0:
        raise UsageError(f"{what}: steps must be >= 0, got {int(s.min())}")
    if not np.isfinite(t).all():
        raise UsageError(f"{what}: times must be finite numbers")


def _numbers(key: str, what: str, raw: list[Any]) -> np.ndarray[Any, Any]:
    """Floats, where a str may only be one of the NaN/Infinity spellings (numpy alone would
    also read "1.5" or "inf")."""
    try:
        if not any(type(v) is str or type(v) is bool for v in raw):
            return np.array(raw, dtype=np.float64)
        return np.array([_number(v) for v in raw], dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise UsageError(f"points of {key!r}: {what}: {e}") from None


def _number(v: Any) -> float:
    if type(v) is bool:
        raise ValueError(f"expected a number, got {v!r}")
    return parse(v)
