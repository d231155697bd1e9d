"""The moving average the figures draw over a raw curve (`trainboard plot --smooth 50`, the
"loss with its 50-step moving average" chart written during training).

Why a window in steps rather than in points: a metric logged every 10 steps and one logged
every step then smooth over the same stretch of training. Why trailing: the value at step S
uses only steps up to S, so the smoothed curve never knows the future (what a person
watching a live run sees). Non-finite values (a NaN step) are left out of the windows they
fall in instead of turning the whole window NaN; a window with no finite value is NaN.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["moving_average"]


def moving_average(
    steps: npt.ArrayLike, values: npt.ArrayLike, window: int
) -> npt.NDArray[np.float64]:
    """At each point, the mean of the finite values with step in (step - window, step].

    `steps` ascending (the store's order). O(n) with cumulative sums."""
    if isinstance(window, bool) or not isinstance(window, int) or window < 1:
        raise ValueError(
            f"moving average: window must be a positive number of steps, got {window!r}"
        )
    s = np.asarray(steps, dtype=np.int64)
    v = np.asarray(values, dtype=np.float64)
    if s.shape != v.shape:
        raise ValueError(f"moving average: {s.shape[0]} steps but {v.shape[0]} values")
    if v.size == 0:
        return np.empty(0, dtype=np.float64)
    finite = np.isfinite(v)
    csum = np.concatenate(([0.0], np.cumsum(np.where(finite, v, 0.0))))
    ccount = np.concatenate(([0], np.cumsum(finite)))
    start = np.searchsorted(s, s - window, side="right")  # first index inside the window
    end = np.arange(1, v.size + 1)
    count = ccount[end] - ccount[start]
    total = csum[end] - csum[start]
    out = np.full(v.size, np.nan)
    np.divide(total, count, out=out, where=count > 0)
    return out
