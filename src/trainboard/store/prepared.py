"""One key's incoming points, checked and put in step order: what every engine makes of a
`PointBatch` before it stores it.

Why below the engines: the SQL store appends a `Prepared` to its chunks (store/sql/append.py),
and the remote store builds one in the caller only to refuse a malformed batch there, naming
its key, as the SQL engines do (the contract suite checks it on all three). It needs no SQL,
so the remote client never imports SQLAlchemy (tests/test_layers.py holds it to that).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from trainboard import limits
from trainboard.errors import UsageError
from trainboard.store.codec import chunks as codec
from trainboard.store.codec import downsample
from trainboard.store.records import PointBatch

Int64s = npt.NDArray[np.int64]


Float64s = npt.NDArray[np.float64]


def int64_steps(key: str, raw: Any) -> Int64s:
    """Steps as int64, refusing what int64 cannot hold exactly: unsigned values past
    INT64_MAX (numpy would wrap 2**64-1 to -1) and fractional or out-of-range floats."""
    a = np.asarray(raw)
    if a.dtype.kind == "u" and a.size and int(a.max()) > limits.INT64_MAX:
        raise UsageError(
            f"write_points: {key!r} has step {int(a.max())}, outside int64 "
            f"({limits.INT64_MIN} to {limits.INT64_MAX})"
        )
    if a.dtype.kind == "f" and a.size:
        ok = np.isfinite(a) & (a == np.floor(a)) & (a >= -(2.0**63)) & (a < 2.0**63)
        if not bool(ok.all()):
            bad = float(a[~ok][0])
            raise UsageError(f"write_points: {key!r} has step {bad!r}, not an int64")
    return np.asarray(a, dtype=np.int64).reshape(-1)


class Prepared:
    """One key's incoming points: validated, in step order, one point per step."""

    __slots__ = ("steps", "times_us", "values")

    def __init__(self, key: str, batch: PointBatch) -> None:
        if not isinstance(key, str) or not key:
            raise UsageError(f"write_points: metric key must be a non-empty str, got {key!r}")
        limits.check_key("write_points: metric key", key)
        try:
            steps = int64_steps(key, batch.steps)
            times = np.asarray(batch.times, dtype=np.float64).reshape(-1)
            values = np.asarray(batch.values, dtype=np.float64).reshape(-1)
        except UsageError:
            raise
        except (TypeError, ValueError, OverflowError) as e:
            raise UsageError(
                f"write_points: {key!r} needs int64 steps and float times and values ({e})"
            ) from e
        if not (steps.shape[0] == times.shape[0] == values.shape[0]):
            raise UsageError(
                f"write_points: {key!r} needs steps, times and values of equal length, got "
                f"{steps.shape[0]}, {times.shape[0]}, {values.shape[0]}"
            )
        if not np.isfinite(times).all():
            raise UsageError(f"write_points: {key!r} has a non-finite wall time")
        order = downsample.step_order(steps)
        if order is not None:
            steps, times, values = steps[order], times[order], values[order]
        self.steps: Int64s = steps
        self.times_us: Int64s = codec.times_to_us(times)
        self.values: Float64s = values


__all__ = ["Float64s", "Int64s", "Prepared", "int64_steps"]
