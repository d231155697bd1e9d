"""A verdict that changes only when the evidence persists.

The health checks read windows of a run's curves (the newest 10 % of the loss, the last 1,000
grad norms, ...). On a healthy run a measure that sits near its threshold crosses it back and
forth as points arrive, and a verdict read afresh each time flips between healthy and warning
(5 times in 400 s in the demo). People stop trusting a light that blinks.

So a warning is judged over the run's recent history, without keeping any state: the checks
are replayed on the run as it was at earlier steps ("cuts", a fixed grid of CUTS steps apart
that only coarsens when the run doubles), and a warning appears only once it held at
PERSIST cuts in a row, and goes only once it was absent at PERSIST cuts in a row. Every view
asks the same function with the same points and gets the same answer.

Two kinds of finding are not delayed: critical ones (a NaN loss now, a loss exploding: an
alarm that waits is no alarm) and the stall check, which is about the clock at the live edge
and has no history of points to persist over.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from trainboard.analysis.findings import Finding
from trainboard.analysis.healthinputs import HealthInputs

__all__ = ["CUTS", "PERSIST", "cut_steps", "settle", "steady_findings"]

CUTS = 12  # earlier states of the run replayed
PERSIST = 3  # a warning appears (or goes) once this many cuts in a row agree
GRID_PARTS = 64  # cuts are last_step / GRID_PARTS apart, rounded down to a power of two
LIVE_ONLY = frozenset({"stalled"})  # judged at the live edge only


def cut_steps(last_step: int, n: int = CUTS) -> list[int]:
    """The steps of the cuts before `last_step`, oldest first: multiples of a power of two
    near last_step / GRID_PARTS, so consecutive asks of a growing run replay the same cuts."""
    if last_step < 2:
        return []
    unit = 2 ** max(0, math.floor(math.log2(max(1.0, last_step / GRID_PARTS))))
    top = (last_step - 1) // unit * unit
    return [c for c in (top - j * unit for j in range(n - 1, -1, -1)) if c > 0]


def settle(history: list[dict[str, Finding]], persist: int = PERSIST) -> dict[str, Finding]:
    """Replay the findings seen at each cut (oldest first) through the hysteresis: start
    from what held at each of the first `persist` cuts, then flip a check only when `persist`
    cuts in a row disagree with its state. Each shown check carries its newest finding."""
    if not history:
        return {}
    head = history[:persist]
    shown = {c: f for c, f in head[-1].items() if all(c in h for h in head)}
    against: dict[str, int] = {}
    for seen in history[len(head) :]:
        for c in set(shown) | set(seen):
            if (c in seen) == (c in shown):
                against.pop(c, None)
                if c in seen:
                    shown[c] = seen[c]
                continue
            against[c] = against.get(c, 0) + 1
            if against[c] >= persist:
                del against[c]
                if c in shown:
                    del shown[c]
                else:
                    shown[c] = seen[c]
    return shown


def _upto(pair: tuple[Any, Any] | None, step: float) -> tuple[Any, Any] | None:
    return None if pair is None else _before(pair[0], pair[1], step)


def _before(steps: Any, values: Any, step: float) -> tuple[Any, Any]:
    s, v = np.asarray(steps), np.asarray(values)
    keep = s <= step
    return s[keep], v[keep]


def _cut(x: HealthInputs, step: int) -> HealthInputs | None:
    """The inputs as they were when the run had reached `step` (None: no loss time known)."""
    if x.loss is None or x.loss_times is None:
        return None
    ls = np.asarray(x.loss[0])
    lt = np.asarray(x.loss_times, dtype=np.float64)
    i = int(np.searchsorted(ls, step, side="right")) - 1
    if i < 0 or not math.isfinite(float(lt[i])):
        return None
    t = float(lt[i])
    grad, grad_steps = x.grad, x.grad_steps
    if grad is not None and grad_steps is not None:
        gs = np.asarray(grad_steps)
        grad, grad_steps = np.asarray(grad)[gs <= step], gs[gs <= step]
    throughput = x.throughput
    if throughput is not None:
        tt, tv = np.asarray(throughput[0]), np.asarray(throughput[1])
        throughput = (tt[tt <= t], tv[tt <= t])
    step_times = x.step_times
    if step_times is not None:
        st = np.asarray(step_times)
        step_times = st[st <= t]
    return replace(
        x,
        loss=_upto(x.loss, step),
        loss_times=lt[: i + 1],
        val=_upto(x.val, step),
        grad=grad,
        grad_steps=grad_steps,
        throughput=throughput,
        step_times=step_times,
        last_step=step,
        now=t,
        status="running",
        metrics={k: _before(s, v, step) for k, (s, v) in x.metrics.items()},
        evals=[(k, *_before(s, v, step), g) for k, s, v, g in x.evals],
        grad_series=_upto(x.grad_series, step),
        lr=_upto(x.lr, step),
    )


def steady_findings(
    x: HealthInputs, findings_of: Callable[[HealthInputs], list[Finding]]
) -> list[Finding]:
    """The findings to show now: critical and live-edge ones as found now, warnings once
    they persist (`settle` over the cuts and now)."""
    now = findings_of(x)
    urgent = [f for f in now if f.severity == "critical" or f.check in LIVE_ONLY]
    urgent_checks = {f.check for f in urgent}
    history: list[dict[str, Finding]] = []
    for step in cut_steps(x.last_step or 0):
        past = _cut(x, step)
        if past is not None:
            history.append(_warnings(findings_of(past)))
    history.append(_warnings(now))
    kept = settle(history)
    return urgent + [f for c, f in kept.items() if c not in urgent_checks]


def _warnings(found: list[Finding]) -> dict[str, Finding]:
    return {f.check: f for f in found if f.severity == "warning" and f.check not in LIVE_ONLY}
