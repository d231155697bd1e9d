"""The token axis: where each step falls in tokens seen, so any metric can be drawn against
tokens. One definition for the series API, the compare charts and `StoredRun.history`.

The token count is the key the progress card counts tokens with (`tokens`,
`num_input_tokens_seen`, or whatever define_metric() named), so every naming habit gets the
axis; other keys' steps are placed on it by linear interpolation.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from trainboard.analysis.progress import key_roles
from trainboard.store.base import Store
from trainboard.store.records import RunRecord

TokenAxis = tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]

_RESOLUTION = 20_000  # points of the token count read to place other keys on a token axis


def token_axis(store: Store, run: RunRecord) -> TokenAxis | None:
    """(steps, cumulative tokens) to interpolate other keys' steps on; None if not logged."""
    key = key_roles(run).tokens
    if key is None:
        return None
    s = store.read_series(run.id, key, max_points=_RESOLUTION)
    ok = np.isfinite(s.values)
    if not ok.any():
        return None
    return s.steps[ok].astype(np.float64), s.values[ok]


def tokens_at(steps: npt.NDArray[Any], axis: TokenAxis) -> npt.NDArray[np.float64]:
    """The tokens seen at each of `steps`, interpolated on `axis`."""
    return np.interp(steps.astype(np.float64), axis[0], axis[1])
