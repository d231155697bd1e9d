"""The health verdict: read the curves the way an expert would, and say what to try.

Each check is a pure function over series arrays that returns a `Finding` or None:

    loss_nan          the train loss is NaN/inf (critical when the latest value is)
    loss_exploding    the recent loss is above where it started and over twice its best
    loss_not_falling  the recent loss is within 2% of where it started
    overfitting       validation loss rose ≥3% over ≥3 evals since its best while train fell
                      (never before the first epoch ends: no example has been seen twice)
    grad_clipped      grad norm at (or above) the clip value on more than half the recent steps
    throughput_drop   tokens/s (or steps/s) over the last 20% of the run below 2/3 of earlier
    stalled           running, but no new step for 10× the usual step interval (and ≥60 s)
    straggler         one rank of a multi-process job ≥1.5× slower than the median of the
                      others (analysis/straggler.py)

and those of `analysis.checks` (NaN/inf in any metric, an eval metric flat while the loss
falls, loss spikes, exploding or vanishing grad norm, learning rate stuck at 0). Which key is
the loss, the grad norm, the learning rate or an eval metric comes from `trainboard.roles`.

The gradient and speed checks live in `analysis.train_checks`; "clipped" needs evidence there:
a clip value in the config, or a plateau at a common clip value (not a constant 0.5).

`assess` runs them all and makes the verdict (critical > warning > healthy); `health_for`
reads the series it needs from a store (downsampled, or a tail) and judges them with
hysteresis (`analysis.hysteresis`): a warning shows once it has held over several recent
states of the run, and goes once it has been gone as long, so the verdict does not flicker.
The API's HealthOut (docs/api.md) is `Health.to_json()`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from trainboard import roles
from trainboard.analysis import checks
from trainboard.analysis import format as fmt
from trainboard.analysis.findings import Finding, Severity
from trainboard.analysis.healthinputs import Array, HealthInputs
from trainboard.analysis.hysteresis import steady_findings
from trainboard.analysis.progress import clock_key, key_roles, read_tail
from trainboard.analysis.status import effective_status
from trainboard.analysis.straggler import COMM_KEY, WAIT_KEY, check_straggler, rank_rate_keys
from trainboard.analysis.train_checks import (
    CLIP_CONFIG_KEYS,
    COMMON_CLIPS,
    check_grad_clipped,
    check_stalled,
    check_throughput,
    clip_from_config,
    infer_clip,
)
from trainboard.store.base import Store
from trainboard.store.records import RunRecord

Verdict = Literal["healthy", "warning", "critical"]

NOT_FALLING_MIN_DROP = 0.02  # the loss must fall by at least 2% from its start
EXPLODE_FACTOR = 2.0  # recent loss over twice its best (and above its start) = exploding
OVERFIT_MIN_RISE = 0.03  # validation loss 3% above its best...
OVERFIT_MIN_EVALS = (
    3  # ...for at least this many evals since the best (one noisy eval is not a trend)
)
MIN_POINTS = 20  # trend checks need this many points
MAX_SCANNED_KEYS = 64  # health_for scans at most this many metrics for NaN/inf

_TITLES = {
    "loss_nan": "loss is NaN/inf",
    "loss_exploding": "loss exploding",
    "loss_not_falling": "loss not falling",
    "overfitting": "overfitting",
    "grad_clipped": "gradients clipped on most steps",
    "throughput_drop": "throughput dropped",
    "stalled": "stalled",
    "nonfinite": "NaN/inf in metrics",
    "eval_metric_flat": "eval metric flat",
    "loss_spikes": "loss spikes",
    "grad_exploding": "grad norm exploding",
    "grad_vanishing": "grad norm vanishing",
    "lr_zero": "learning rate at 0",
    "straggler": "a rank is a straggler",
}


__all__ = [
    "CLIP_CONFIG_KEYS",
    "COMMON_CLIPS",
    "Finding",
    "Health",
    "HealthInputs",
    "Severity",
    "assess",
    "check_grad_clipped",
    "check_loss_exploding",
    "check_loss_nan",
    "check_loss_not_falling",
    "check_overfitting",
    "check_stalled",
    "check_throughput",
    "clip_from_config",
    "findings_of",
    "health_for",
    "infer_clip",
    "verdict_of",
]


@dataclass
class Health:
    verdict: Verdict
    findings: list[Finding] = field(default_factory=list)
    summary: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "findings": [f.to_json() for f in self.findings],
            "summary": self.summary,
        }


def _arr(x: Array) -> npt.NDArray[np.float64]:
    return np.asarray(x, dtype=np.float64)


def _finite(steps: Array, values: Array) -> tuple[npt.NDArray[np.float64], ...]:
    s, v = _arr(steps), _arr(values)
    ok = np.isfinite(v)
    return s[ok], v[ok]


def _ends(v: npt.NDArray[np.float64], head: float, tail: float) -> tuple[float, float]:
    """Medians of the first `head` and last `tail` fractions (at least 3 points each)."""
    nh = max(3, int(len(v) * head))
    nt = max(3, int(len(v) * tail))
    return float(np.median(v[:nh])), float(np.median(v[-nt:]))


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


# --- loss ----------------------------------------------------------------------------------


def check_loss_nan(steps: Array, values: Array, key: str = "loss") -> Finding | None:
    s, v = _arr(steps), _arr(values)
    bad = ~np.isfinite(v)
    if not bad.any():
        return None
    first = int(s[bad][0])
    what = "NaN" if math.isnan(v[bad][0]) else "inf"
    if not math.isfinite(v[-1]):
        return Finding(
            "loss_nan",
            "critical",
            f"{key} is {fmt.number(float(v[-1]))} at step {int(s[-1]):,} "
            f"(first non-finite at step {first:,})",
            "lower the learning rate, clip gradients, use bf16 instead of fp16 or keep the loss "
            "in fp32, look for bad inputs (empty or all-padding batches); resume from a "
            f"checkpoint before step {first:,}",
        )
    return Finding(
        "loss_nan",
        "warning",
        f"{key} was {what} at {int(bad.sum()):,} of {len(v):,} points (first at step {first:,}), "
        "finite again since",
        "if fp16 loss scaling skipped those steps this is expected; otherwise find the batches "
        "at those steps",
    )


def check_loss_exploding(steps: Array, values: Array, key: str = "loss") -> Finding | None:
    s, v = _finite(steps, values)
    if len(v) < MIN_POINTS:
        return None
    start, recent = _ends(v, 0.1, 0.1)
    i_best = int(np.argmin(v))
    best = float(v[i_best])
    if best <= 0 or not (recent > start and recent > EXPLODE_FACTOR * best):
        return None
    return Finding(
        "loss_exploding",
        "critical",
        f"{key} rose to {fmt.number(recent)} recently from a best of {fmt.number(best)} at step "
        f"{int(s[i_best]):,}, above where it started ({fmt.number(start)})",
        "lower the learning rate or lengthen warm-up, clip gradients, check for bad batches; "
        f"resume from a checkpoint near step {int(s[i_best]):,}",
    )


def check_loss_not_falling(steps: Array, values: Array, key: str = "loss") -> Finding | None:
    s, v = _finite(steps, values)
    if len(v) < MIN_POINTS:
        return None
    start, recent = _ends(v, 0.1, 0.25)
    if start == 0:
        return None
    drop = (start - recent) / abs(start)
    if drop >= NOT_FALLING_MIN_DROP:
        return None
    return Finding(
        "loss_not_falling",
        "warning",
        f"{key} has not fallen: {fmt.number(start)} at the start, {fmt.number(recent)} recently "
        f"({_pct(-drop) if drop < 0 else '-' + _pct(drop)}) over {int(s[-1] - s[0]):,} steps",
        "check the learning rate (too low, or so high it bounces), that gradients reach the "
        "weights (frozen parameters, zero_grad order), and that inputs and labels line up",
    )


def _level_at(s: npt.NDArray[np.float64], v: npt.NDArray[np.float64], step: float) -> float:
    """The train loss around `step`: the median of the (up to) 5 points at or before it."""
    i = int(np.searchsorted(s, step, side="right"))
    window = v[max(0, i - 5) : max(i, 1)]
    return float(np.median(window))


def check_overfitting(
    train_steps: Array,
    train_values: Array,
    val_steps: Array,
    val_values: Array,
    val_key: str = "val/loss",
    epoch: float | None = None,
) -> Finding | None:
    if epoch is not None and epoch < 1.0:
        return None  # within the first epoch a val/train gap is a shift, not memorisation
    vs, vv = _finite(val_steps, val_values)
    ts, tv = _finite(train_steps, train_values)
    if len(vv) < OVERFIT_MIN_EVALS + 2 or len(tv) < 3:
        return None
    i_best = int(np.argmin(vv))
    since = len(vv) - 1 - i_best
    best, last = float(vv[i_best]), float(vv[-1])
    if since < OVERFIT_MIN_EVALS or best == 0:
        return None
    rise = (last - best) / abs(best)
    t_then = _level_at(ts, tv, float(vs[i_best]))
    t_now = _level_at(ts, tv, float(ts[-1]))
    fall = (t_then - t_now) / abs(t_then) if t_then else 0.0
    if rise < OVERFIT_MIN_RISE or fall <= 0.01:
        return None
    step = int(vs[i_best])
    return Finding(
        "overfitting",
        "warning",
        f"{val_key} rose {_pct(rise)} over the last {since} evals (best {fmt.number(best)} at "
        f"step {step:,}, now {fmt.number(last)}) while train loss fell {_pct(fall)}",
        f"stop at the best checkpoint (step {step:,}), add regularisation (dropout, weight "
        "decay) or more data",
    )


# --- the verdict ---------------------------------------------------------------------------


def assess(x: HealthInputs) -> Health:
    """The verdict on `x` as it is now, every finding as found (no hysteresis)."""
    return verdict_of(findings_of(x), x)


def findings_of(x: HealthInputs) -> list[Finding]:
    """Every check run once on `x`: what each found."""
    findings: list[Finding | None] = []
    if x.loss is not None:
        findings.append(check_loss_nan(*x.loss, key=x.loss_key))
        exploding = check_loss_exploding(*x.loss, key=x.loss_key)
        findings.append(exploding)
        if exploding is None:
            findings.append(check_loss_not_falling(*x.loss, key=x.loss_key))
            findings.append(checks.check_loss_spikes(*x.loss, key=x.loss_key))
        if x.val is not None:
            findings.append(check_overfitting(*x.loss, *x.val, val_key=x.val_key, epoch=x.epoch))
    findings.append(checks.check_nonfinite(x.metrics, x.critical_keys))
    for key, es, ev, goal in x.evals:
        findings.append(checks.check_eval_flat(es, ev, x.loss, key, goal))
    if x.grad is not None:
        findings.append(check_grad_clipped(x.grad, x.clip, key=x.grad_key))
    if x.grad_series is not None:
        findings.append(checks.check_grad_norm_trend(*x.grad_series, key=x.grad_key))
    if x.lr is not None:
        findings.append(checks.check_lr_zero(*x.lr, x.last_step, x.total_steps, key=x.lr_key))
    if x.throughput is not None:
        findings.append(check_throughput(*x.throughput, unit=x.throughput_unit))
    if x.step_times is not None:
        findings.append(check_stalled(x.step_times, x.now, x.status, x.last_step))
    if len(x.rank_rates) > 1:
        findings.append(check_straggler(x.rank_rates, x.ranks, x.rank_waits, x.rank_comm))
    return [f for f in findings if f is not None]


def verdict_of(findings: list[Finding], x: HealthInputs) -> Health:
    """The verdict (critical > warning > healthy) and its one-line summary."""
    found = sorted(findings, key=lambda f: f.severity != "critical")
    if not found:
        return Health("healthy", [], _healthy_summary(x))
    verdict: Verdict = "critical" if found[0].severity == "critical" else "warning"
    return Health(verdict, found, f"{verdict}: " + ", ".join(_TITLES[f.check] for f in found))


def _healthy_summary(x: HealthInputs) -> str:
    if x.loss is None:
        if x.metrics:
            n = len(x.metrics)
            return f"healthy: no train loss logged; nothing alarming in {n} metric{'s' * (n > 1)}"
        return "healthy: nothing logged yet"
    _, v = _finite(*x.loss)
    if len(v) < MIN_POINTS:
        return f"healthy: nothing alarming in {len(v)} loss points (too few to judge trends)"
    start, recent = _ends(v, 0.1, 0.25)
    return f"healthy: loss falling ({fmt.number(start)} → {fmt.number(recent)}), no anomalies"


def health_for(
    store: Store, run: RunRecord, now: float | None = None, *, steady: bool = True
) -> Health:
    """Read what the checks need — downsampled whole-run series for trends and for NaN/inf
    (the store keeps every non-finite point through downsampling), tails for the grad norm
    and the step clock — and assess. Which key is which comes from trainboard.roles.
    `steady=False` judges without hysteresis (every finding as found now): the truth suite's
    measure of what hysteresis saves."""
    import time

    now = time.time() if now is None else now
    keys = run.summary
    kr = key_roles(run)
    x = HealthInputs(
        status=effective_status(run, now), now=now, last_step=run.last_step,
        total_steps=run.total_steps,
    )  # fmt: skip
    if kr.epoch is not None and math.isfinite(keys[kr.epoch].last):
        x.epoch = keys[kr.epoch].last
    cache: dict[str, tuple[Any, Any]] = {}

    def whole(key: str) -> tuple[Any, Any]:
        if key not in cache:
            s = store.read_series(run.id, key, max_points=1000)
            cache[key] = (s.steps, s.values)
        return cache[key]

    lk = kr.train_loss
    if lk is not None:
        ls = store.read_series(run.id, lk, max_points=1000)
        cache[lk] = (ls.steps, ls.values)
        x.loss, x.loss_key, x.loss_times = whole(lk), lk, ls.times
        vk = kr.eval_loss
        if vk is not None:
            x.val, x.val_key = whole(vk), vk
    gk = kr.grad_norm
    if gk is not None:
        g = read_tail(store, run, gk, 1000)
        if g is not None:
            x.grad, x.grad_steps, x.grad_key = g[2], g[0], gk
            x.clip = clip_from_config(run.config)
        x.grad_series = whole(gk)
    lrk = roles.learning_rate_key(keys, run.goals)
    if lrk is not None:
        x.lr, x.lr_key = whole(lrk), lrk
    for ek in roles.keys_with(keys, "quality", run.goals, split="eval")[:8]:
        goal = roles.goal_of(ek, run.goals) or "max"
        x.evals.append((ek, *whole(ek), goal))
    _scan_nonfinite(run, x, whole, kr.eval_loss, gk)
    ck = clock_key(keys, run.goals)
    clock = read_tail(store, run, ck, 200) if ck else None
    if clock is not None:
        x.step_times = clock[1]
    if kr.tokens is not None:
        st = store.read_series(run.id, kr.tokens, max_points=1000)
        x.throughput, x.throughput_unit = (st.times, st.values), "tokens"
    elif ck is not None:
        sc = store.read_series(run.id, ck, max_points=1000)
        x.throughput, x.throughput_unit = (sc.times, sc.steps), "steps"
    rank_keys = rank_rate_keys(keys)
    if len(rank_keys) > 1:  # one process of a multi-process job each (sdk/ranks.py)
        x.rank_rates = {r: store.read_series(run.id, k, max_points=1000).values
                        for r, k in rank_keys.items()}  # fmt: skip
        x.rank_waits = {r: store.read_series(run.id, k, max_points=1000).values
                        for r, k in rank_rate_keys(keys, WAIT_KEY).items()}  # fmt: skip
        x.rank_comm = {r: store.read_series(run.id, k, max_points=1000).values
                       for r, k in rank_rate_keys(keys, COMM_KEY).items()}  # fmt: skip
        x.ranks = store.read_run_values(run.id, "ranks")
    return verdict_of(steady_findings(x, findings_of) if steady else findings_of(x), x)


def _scan_nonfinite(
    run: RunRecord,
    x: HealthInputs,
    whole: Any,
    eval_loss: str | None,
    grad: str | None,
) -> None:
    """Every non-system metric but the train loss goes to the NaN/inf scan. A key whose
    summary is all finite (min, max, last) can still hold a NaN in its middle, so each key is
    read (downsampled: non-finite points always survive), at most MAX_SCANNED_KEYS of them."""
    scanned = [
        k for k in sorted(run.summary)
        if k != x.loss_key and not roles.is_system(k, run.goals)
    ][:MAX_SCANNED_KEYS]  # fmt: skip
    for k in scanned:
        x.metrics[k] = whole(k)
    x.critical_keys = tuple(k for k in (eval_loss, grad) if k is not None)
