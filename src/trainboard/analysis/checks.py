"""The health checks added for runs logged any way (issue #7); `health.assess` runs them.

    nonfinite          NaN or ±inf in any metric other than the train loss (loss_nan has that):
                       each key with its first bad step; critical when an eval loss or the grad
                       norm is non-finite at its latest point
    eval_metric_flat   an eval quality metric flat over ≥ FLAT_MIN_EVALS evals while the train
                       loss fell ("hellaswag accuracy stuck at 0.25")
    loss_spikes        the train loss jumps far outside its recent spread and then recovers:
                       where, and how many
    grad_exploding     the grad norm's recent median over GRAD_EXPLODE× its earlier median
    grad_vanishing     the grad norm's recent median under 1/GRAD_VANISH of its earlier median
    lr_zero            the learning rate has sat at 0 for the last stretch of a run still
                       training (not a schedule that decays to 0 at its very end)

Each is a pure function over arrays, like the checks in health.py, and returns a Finding or
None. Thresholds are chosen so the truth suite (bench/tb_truth.py) finds every injected fault
with no false alarm on noisy healthy runs.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt

from trainboard.analysis import format as fmt
from trainboard.analysis.findings import Finding

Array = npt.ArrayLike
Floats = npt.NDArray[np.float64]

FLAT_MIN_EVALS = 5  # an eval metric is judged flat over at least this many evals...
FLAT_MAX_GAIN = 0.02  # ...when its late evals beat its early ones by under 2% (relative)...
FLAT_LOSS_FALL = 0.05  # ...while the train loss fell at least 5% over the same steps
SPIKE_SPREAD = 8.0  # a spike sits this many robust spreads above the recent median...
SPIKE_MIN_JUMP = 0.10  # ...and at least 10% above it
SPIKE_WINDOW = 25  # the recent median and spread come from this many points before
SPIKE_RECOVER = 20  # and it is back within 3 spreads in this many points after
GRAD_EXPLODE = 10.0
GRAD_VANISH = 1000.0
LR_ZERO_MIN_POINTS = 20  # the learning rate at 0 for at least this many points...
LR_ZERO_MIN_FRAC = 0.05  # ...and this share of the steps so far
MIN_POINTS = 20


def _arr(x: Array) -> Floats:
    return np.asarray(x, dtype=np.float64)


def _finite(steps: Array, values: Array) -> tuple[Floats, Floats]:
    s, v = _arr(steps), _arr(values)
    ok = np.isfinite(v)
    return s[ok], v[ok]


# --- NaN / inf anywhere ---------------------------------------------------------------------------


def check_nonfinite(
    series: Mapping[str, tuple[Array, Array]], critical_keys: Sequence[str] = ()
) -> Finding | None:
    """`series`: key -> (steps, values) of every metric to scan (the store keeps every
    non-finite point through downsampling, so a downsampled read is enough)."""
    bad: list[tuple[str, int, str, bool]] = []
    for key in sorted(series):
        s, v = _arr(series[key][0]), _arr(series[key][1])
        nf = ~np.isfinite(v)
        if not nf.any():
            continue
        first = int(s[nf][0])
        x = float(v[nf][0])
        what = "NaN" if math.isnan(x) else ("inf" if x > 0 else "-inf")
        bad.append((key, first, what, bool(not math.isfinite(v[-1]))))
    if not bad:
        return None
    critical = any(latest and key in critical_keys for key, _, _, latest in bad)
    shown = "; ".join(
        f"{key} {what} first at step {first:,}" + (" (still)" if latest else ", finite since")
        for key, first, what, latest in bad[:4]
    )
    more = f" and {len(bad) - 4} more" if len(bad) > 4 else ""
    return Finding(
        "nonfinite",
        "critical" if critical else "warning",
        f"non-finite values in {len(bad)} metric{'s' if len(bad) > 1 else ''}: {shown}{more}",
        "a NaN in an eval metric often means an empty eval set or a division by zero in the "
        "metric; in the grad norm or eval loss, the same causes as a NaN loss (learning rate, "
        "fp16 overflow, bad batches): look at the first step named",
    )


# --- eval metric flat while the loss falls --------------------------------------------------------


def check_eval_flat(
    steps: Array,
    values: Array,
    loss: tuple[Array, Array] | None,
    key: str,
    goal: str = "max",
) -> Finding | None:
    """An eval quality metric that has not moved over many evals while the train loss fell."""
    s, v = _finite(steps, values)
    if len(v) < FLAT_MIN_EVALS or loss is None:
        return None
    third = max(2, len(v) // 3)
    early, late = float(np.median(v[:third])), float(np.median(v[-third:]))
    gain = (late - early) if goal == "max" else (early - late)
    scale = max(abs(early), 1e-12)
    if gain / scale >= FLAT_MAX_GAIN:
        return None
    ls, lv = _finite(*loss)
    if len(lv) < 3:
        return None
    seg = (ls >= s[0]) & (ls <= s[-1])
    if seg.sum() < 3:
        return None
    lseg = lv[seg]
    k = max(1, len(lseg) // 5)
    l0, l1 = float(np.median(lseg[:k])), float(np.median(lseg[-k:]))
    fall = (l0 - l1) / abs(l0) if l0 else 0.0
    if fall < FLAT_LOSS_FALL:
        return None
    return Finding(
        "eval_metric_flat",
        "warning",
        f"{key} stuck at {fmt.number(float(np.median(v)), 3)} over {len(v)} evals (steps "
        f"{int(s[0]):,}–{int(s[-1]):,}, {_signed(gain / scale)}) while the train loss fell "
        f"{100 * fall:.1f}%",
        "a metric at chance level while the loss falls means the model learns something the "
        "eval does not measure: check the eval's labels and prompt format, the answer parsing, "
        "and that the eval runs the trained weights (not a stale checkpoint)",
    )


def _signed(x: float) -> str:
    return f"{100 * x:+.1f}%"


# --- loss spikes ----------------------------------------------------------------------------------


def find_spikes(steps: Array, values: Array) -> list[int]:
    """Indices of spikes: far above the trailing median (SPIKE_SPREAD robust spreads and
    SPIKE_MIN_JUMP relative), then back within 3 spreads in SPIKE_RECOVER points. Adjacent
    points of one spike count once."""
    s, v = _finite(steps, values)
    n = len(v)
    out: list[int] = []
    if n <= SPIKE_WINDOW:
        return out
    # every trailing window's median and spread at once (one numpy call, not one per point)
    windows = np.lib.stride_tricks.sliding_window_view(v, SPIKE_WINDOW)[: n - SPIKE_WINDOW]
    meds = np.median(windows, axis=1)
    spreads = 1.4826 * np.median(np.abs(windows - meds[:, None]), axis=1)
    limits = meds + np.maximum(SPIKE_SPREAD * spreads, SPIKE_MIN_JUMP * np.abs(meds))
    above = v[SPIKE_WINDOW:] > limits  # above[j]: point SPIKE_WINDOW + j is a candidate
    i = SPIKE_WINDOW
    while i < n:
        nxt = np.flatnonzero(above[i - SPIKE_WINDOW :])
        if not nxt.size:
            break
        i += int(nxt[0])
        med = float(meds[i - SPIKE_WINDOW])
        spread = float(spreads[i - SPIKE_WINDOW])
        back = med + max(3 * spread, 0.5 * SPIKE_MIN_JUMP * abs(med))
        after = v[i + 1 : i + 1 + SPIKE_RECOVER]
        rec = np.nonzero(after <= back)[0]
        if rec.size:
            out.append(i)
            i += int(rec[0]) + 1 + SPIKE_WINDOW // 5
            continue
        i += 1
    return out


def check_loss_spikes(steps: Array, values: Array, key: str = "loss") -> Finding | None:
    s, v = _finite(steps, values)
    if len(v) < MIN_POINTS + SPIKE_WINDOW:
        return None
    idx = find_spikes(s, v)
    if not idx:
        return None
    where = ", ".join(f"{int(s[i]):,}" for i in idx[:5]) + (" ..." if len(idx) > 5 else "")
    worst = max(
        idx, key=lambda i: v[i] / max(float(np.median(v[max(0, i - SPIKE_WINDOW) : i])), 1e-12)
    )
    base = float(np.median(v[max(0, worst - SPIKE_WINDOW) : worst]))
    return Finding(
        "loss_spikes",
        "warning",
        f"{key} spiked {len(idx)} time{'s' if len(idx) > 1 else ''} and recovered, at step"
        f"{'s' if len(idx) > 1 else ''} {where} (worst {fmt.number(float(v[worst]))} against "
        f"{fmt.number(base)} before)",
        "spikes that recover point at a few bad batches or a learning rate near the edge of "
        "stability: look at the data at those steps, lower the peak learning rate, or lower "
        "Adam's beta2 / raise epsilon",
    )


# --- gradients and learning rate ------------------------------------------------------------------


def check_grad_norm_trend(steps: Array, values: Array, key: str = "grad_norm") -> Finding | None:
    """The recent grad norm (last 10%) against the earlier one (10% to 60%, past warm-up)."""
    s, v = _finite(steps, values)
    if len(v) < MIN_POINTS:
        return None
    n = len(v)
    earlier = float(np.median(v[int(0.1 * n) : max(int(0.6 * n), int(0.1 * n) + 1)]))
    recent = float(np.median(v[-max(3, n // 10) :]))
    if earlier > 0 and recent > GRAD_EXPLODE * earlier:
        return Finding(
            "grad_exploding",
            "critical",
            f"{key} grew {recent / earlier:,.0f}×: median {fmt.number(earlier, 3)} earlier, "
            f"{fmt.number(recent, 3)} recently (to step {int(s[-1]):,})",
            "lower the learning rate, clip gradients (max_grad_norm 1.0), check for bad "
            "batches; resume from a checkpoint before the growth",
        )
    if earlier > 0 and recent < earlier / GRAD_VANISH:
        return Finding(
            "grad_vanishing",
            "warning",
            f"{key} fell to {fmt.number(recent, 3)} from a median of {fmt.number(earlier, 3)} "
            f"earlier: the weights barely change",
            "check that the loss is connected to the parameters (detach, frozen layers), the "
            "learning-rate schedule, and for saturated activations or a dead output layer",
        )
    return None


def check_lr_zero(
    steps: Array, values: Array, last_step: int | None, total: int | None, key: str = "lr"
) -> Finding | None:
    """The learning rate at 0 over the last stretch while the run still trains: the steps
    change nothing. A schedule that reaches 0 at its last step is not this."""
    s, v = _finite(steps, values)
    if len(v) < LR_ZERO_MIN_POINTS:
        return None
    nz = np.nonzero(np.abs(v) > 0.0)[0]
    if nz.size == 0:
        start = 0
    else:
        start = int(nz[-1]) + 1
    zeros = len(v) - start
    if zeros < LR_ZERO_MIN_POINTS:
        return None
    since = int(s[start])
    last = int(last_step if last_step is not None else s[-1])
    if last - since < LR_ZERO_MIN_FRAC * max(last, 1):
        return None
    if total and since >= 0.95 * total:
        return None  # decayed to 0 at the end of its schedule
    return Finding(
        "lr_zero",
        "warning",
        f"{key} has been 0 since step {since:,} ({last - since:,} steps): training steps "
        "change nothing",
        "check the schedule (a cosine or linear decay with total steps shorter than the run, "
        "a warm-up that never starts) and the optimizer's param groups",
    )
