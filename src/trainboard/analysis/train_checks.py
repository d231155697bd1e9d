"""Health checks on gradients and speed: clipping, throughput, stalls. `health.assess` runs
them; health.py's docstring says what each one flags.

"Clipped" needs evidence: a clip value in the config, or a plateau at a common clip value
(COMMON_CLIPS); a grad norm that sits at 0.5 with no clip configured is not clipping.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

from trainboard.analysis import format as fmt
from trainboard.analysis.findings import Finding
from trainboard.store.records import Status

Array = npt.ArrayLike

CLIPPED_FRACTION = 0.5  # grad norm at the clip value on more than half the steps
NEARLY_EVERY = 0.95  # "nearly every step" means at least this fraction
THROUGHPUT_DROP = 1 / 3  # recent throughput below 2/3 of earlier
PAUSE_FACTOR = 10.0  # an interval this many times the median one is a pause (eval, checkpoint)
STALL_FACTOR = 10.0  # no step for 10x the usual interval...
STALL_MIN_S = 60.0  # ...and at least a minute
MIN_POINTS = 20  # trend checks need this many points
CLIP_CONFIG_KEYS = (
    "max_grad_norm", "grad_clip", "clip_grad_norm", "gradient_clip_val", "clip_grad",
    "grad_clip_norm", "max_norm",
)  # fmt: skip
COMMON_CLIPS = (0.1, 1.0, 2.0, 5.0, 10.0)  # a plateau here is a clip even when not configured


def _arr(x: Array) -> npt.NDArray[np.float64]:
    return np.asarray(x, dtype=np.float64)


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


# --- gradients -----------------------------------------------------------------------------


def clip_from_config(config: Mapping[str, Any]) -> float | None:
    """The clip value a config names ("max_grad_norm", "grad_clip", ...), one level deep."""
    scopes: list[Mapping[str, Any]] = [config]
    scopes += [v for v in config.values() if isinstance(v, Mapping)]
    for scope in scopes:
        for k in CLIP_CONFIG_KEYS:
            v = scope.get(k)
            if isinstance(v, int | float) and not isinstance(v, bool) and v > 0:
                return float(v)
    return None


def infer_clip(values: Array) -> float | None:
    """A plateau max at a common clip value: when most points sit exactly at the largest
    value and that value is one people clip at (COMMON_CLIPS), that is the clip (a grad norm
    logged after clipping). A plateau elsewhere is no evidence of clipping."""
    v = _arr(values)
    v = v[np.isfinite(v)]
    if len(v) < MIN_POINTS:
        return None
    top = float(v.max())
    if top <= 0:
        return None
    at = np.abs(v - top) <= 1e-6 * top
    if not any(abs(top - c) <= 1e-6 * c for c in COMMON_CLIPS):
        return None
    return top if at.mean() > CLIPPED_FRACTION else None


def check_grad_clipped(
    values: Array, clip: float | None = None, key: str = "grad_norm"
) -> Finding | None:
    v = _arr(values)
    v = v[np.isfinite(v)]
    if len(v) < MIN_POINTS:
        return None
    source = "config"
    if clip is None:
        clip, source = infer_clip(v), "inferred: most points sit at the max"
    if clip is None:
        return None
    frac = float((v >= clip * (1 - 1e-6)).mean())
    if frac <= CLIPPED_FRACTION:
        return None
    return Finding(
        "grad_clipped",
        "warning",
        f"{key} at or above the clip value {fmt.number(clip, 3)} ({source}) on {_pct(frac)} of "
        f"the last {len(v):,} points (median {fmt.number(float(np.median(v)), 3)})",
        f"updates are rescaled {_how_often(frac)}, so the learning rate is not what you set: "
        "lower the learning rate, lengthen warm-up, or raise the clip value",
    )


def _how_often(frac: float) -> str:
    """Words that say what the fraction says: 52 % is "on 52% of steps", not "nearly every"."""
    if frac >= NEARLY_EVERY:
        return "on nearly every step"
    if frac >= 0.75:
        return f"on most steps ({_pct(frac)})"
    return f"on {_pct(frac)} of steps"


# --- speed ---------------------------------------------------------------------------------


def check_throughput(times: Array, cumulative: Array, unit: str = "tokens") -> Finding | None:
    """`cumulative` counts (tokens, or steps) against wall time; compares the rate over the
    last 20% of the time span with the rate from 10% to 60% (skipping warm-up). Pauses (an
    interval over PAUSE_FACTOR times the median one: an eval, a checkpoint save) are left out
    of both: a run that just saved a checkpoint is not slower, and counting the pause made a
    healthy run's verdict flip to "throughput dropped" after each one."""
    t, y = _arr(times), _arr(cumulative)
    ok = np.isfinite(t) & np.isfinite(y)
    t, y = t[ok], y[ok]
    if len(t) < 8:
        return None
    order = np.argsort(t, kind="stable")
    t, y = t[order], y[order]
    span = float(t[-1] - t[0])
    if span <= 0:
        return None

    dt, dy = np.diff(t), np.diff(y)
    moving = dt[dt > 0]
    pause = PAUSE_FACTOR * float(np.median(moving)) if moving.size else math.inf

    def rate(a: float, b: float) -> float:
        ta, tb = t[0] + a * span, t[0] + b * span
        inside = (t[1:] > ta) & (t[:-1] < tb) & (dt > 0) & (dt <= pause)
        if inside.sum() < 3:
            return float((np.interp(tb, t, y) - np.interp(ta, t, y)) / (tb - ta))
        return float(dy[inside].sum() / dt[inside].sum())

    earlier, recent = rate(0.1, 0.6), rate(0.8, 1.0)
    if earlier <= 0 or recent >= (1 - THROUGHPUT_DROP) * earlier:
        return None
    return Finding(
        "throughput_drop",
        "warning",
        f"{unit}/s fell {_pct(1 - recent / earlier)}: {fmt.rate(earlier, unit)} earlier, "
        f"{fmt.rate(recent, unit)} over the last 20% of the run",
        "look for a slower data loader, memory swapping, thermal throttling, other jobs on the "
        "machine or longer sequences; compare the system metrics over the same period",
    )


def check_stalled(
    step_times: Array, now: float, status: Status, last_step: int | None = None
) -> Finding | None:
    t = _arr(step_times)
    t = t[np.isfinite(t)]
    if status != "running" or len(t) < 3:
        return None
    usual = float(np.median(np.diff(np.sort(t))))
    idle = now - float(t.max())
    limit = max(STALL_FACTOR * usual, STALL_MIN_S)
    if idle <= limit:
        return None
    at = f" (last step {last_step:,})" if last_step is not None else ""
    return Finding(
        "stalled",
        "warning",
        f"no new step for {fmt.duration(idle)}; steps usually come every "
        f"{fmt.number(usual, 3)}s{at}",
        "check the process: a hung data loader, a deadlocked collective (NCCL), waiting on "
        "I/O or a full disk; `py-spy dump --pid PID` shows where it is stuck",
    )
