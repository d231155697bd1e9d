"""The token axis: where each step falls in tokens seen, so any metric can be drawn against
tokens. One definition for the series API, the compare charts and `StoredRun.history`.

The same placing works for any metric that never decreases (an epoch counter, nanoGPT's
`iter`): `x_axis` gives the axis a series request's `x` names (#18).

The token count is the key the progress card counts tokens with (`tokens`,
`num_input_tokens_seen`, or whatever define_metric() named), so every naming habit gets the
axis; other keys' steps are placed on it by linear interpolation.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from trainboard.analysis.progress import key_roles
from trainboard.errors import UsageError
from trainboard.keys import is_system
from trainboard.store.base import Store
from trainboard.store.records import RunRecord

BUILTIN_X = ("step", "time", "tokens")  # the axes every run has, not metric choices

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


def metric_axis(store: Store, run: RunRecord, key: str) -> TokenAxis | None:
    """(steps, values) of a metric to place other keys' points on; None when the run did not
    log it. A metric that decreases is refused: an axis that turns back would draw a curve
    over itself."""
    if key not in run.summary:
        return None
    s = store.read_series(run.id, key, max_points=_RESOLUTION)
    ok = np.isfinite(s.values)
    steps, values = s.steps[ok].astype(np.float64), s.values[ok]
    if values.size == 0:
        return None
    falls = np.flatnonzero(np.diff(values) < 0)
    if falls.size:
        i = int(falls[0])
        raise UsageError(
            f"x: {key!r} cannot be the x axis of run {run.id!r}: it decreases at step "
            f"{int(steps[i + 1]):,} (from {values[i]:g} to {values[i + 1]:g}); use step, time, "
            "tokens or a metric that never decreases"
        )
    return steps, values


def x_axis(store: Store, run: RunRecord, x: str) -> TokenAxis | None:
    """What a series request's `x` places points on: the token count for "tokens", the
    metric itself for a metric key, nothing for "step" and "time" (the points' own columns)."""
    if x in ("step", "time"):
        return None
    if x == "tokens":
        return token_axis(store, run)
    return metric_axis(store, run, x)


def x_keys(store: Store, run: RunRecord) -> list[str]:
    """The metrics the Run and Compare pages offer as the x axis: every logged key that never
    decreases and does move (nanoGPT's `iter_num`, `global_step`, an epoch, samples seen),
    whatever its name says; `metric_axis` is the one test. The summary rules most keys out
    without reading a point (a key whose last value is not its largest decreases somewhere);
    only the rest are read."""
    out = []
    for key, s in run.summary.items():
        if key in BUILTIN_X or is_system(key) or s.count < 2 or not s.min < s.max == s.last:
            continue
        try:
            metric_axis(store, run, key)
        except UsageError:
            continue
        out.append(key)
    return sorted(out)


def shared_x_keys(store: Store, runs: list[RunRecord]) -> list[str]:
    """The x-axis choices of several runs drawn together (Compare): a key that is an axis of
    every run that logged it."""
    choices = [(set(x_keys(store, r)), set(r.summary)) for r in runs]
    offered = set().union(*(ok for ok, _ in choices)) if choices else set()
    return sorted(k for k in offered if all(k in ok for ok, logged in choices if k in logged))
