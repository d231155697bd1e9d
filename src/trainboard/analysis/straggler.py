"""The straggler check: one rank of a multi-process job well behind the others.

Every rank reports its own step rate (`sys/rank{r}/steps_per_s`, sdk/ranks.py). Where ranks
run at their own pace (between syncs, data-parallel evaluation, jobs that sync rarely) the
slow rank's rate is lower, and this check names it: "rank 1 (host h, GPU 1) is 2.9× slower
than the median rank". Where they synchronise every step (DDP's all-reduce) every rank
runs at the slowest one's pace, every rate is the same, and this check sees nothing: that
case is documented in docs/distributed.md.

A rank's rate is the median of its samples; it is compared with the median of the other
ranks' rates (with two ranks, the other one), so one slow rank never drags the yardstick.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from trainboard.analysis.findings import Finding

STRAGGLER_RATIO = 1.5  # a rank this many times slower than the median of the others...
STRAGGLER_MIN_SAMPLES = 3  # ...over at least this many rate samples of its own
RATE_KEY = re.compile(r"^sys/rank(\d+)/steps_per_s$")


def rank_rate_keys(keys: Sequence[str] | Mapping[str, Any]) -> dict[int, str]:
    """rank -> its step-rate key, for the keys a run has."""
    found = {}
    for k in keys:
        m = RATE_KEY.match(k)
        if m:
            found[int(m.group(1))] = k
    return dict(sorted(found.items()))


def where(rank: int, info: Mapping[str, Any] | None) -> str:
    """ "rank 1 (host h, GPU 1)": the rank and what the run's "ranks" values say of it."""
    info = info or {}
    local = info.get("local_rank")
    return f"rank {rank} (host {info.get('host') or '?'}, GPU {'-' if local is None else local})"


def check_straggler(
    rates: Mapping[int, npt.ArrayLike],
    ranks: Mapping[str, Any] | None = None,
) -> Finding | None:
    """The slowest rank, when it is STRAGGLER_RATIO× slower than the median of the others."""
    medians: dict[int, float] = {}
    for rank, values in rates.items():
        v = np.asarray(values, dtype=np.float64)
        v = v[np.isfinite(v)]
        if len(v) >= STRAGGLER_MIN_SAMPLES:
            medians[rank] = float(np.median(v))
    if len(medians) < 2:
        return None
    slowest = min(medians, key=lambda r: (medians[r], r))
    others = float(np.median([m for r, m in medians.items() if r != slowest]))
    mine = medians[slowest]
    if others <= 0 or (mine > 0 and others / mine < STRAGGLER_RATIO):
        return None
    info = (ranks or {}).get(str(slowest))
    pace = f"{mine:.3g} vs {others:.3g} steps/s over {len(medians)} ranks"
    if mine <= 0:
        saw = f"{where(slowest, info)} has stopped while the median rank goes on ({pace})"
    else:
        saw = f"{where(slowest, info)} is {others / mine:.1f}× slower than the median rank ({pace})"
    return Finding(
        "straggler",
        "warning",
        saw,
        f"look at what rank {slowest} does differently: its host's load, its data shard, its "
        f"GPU (sys/rank{slowest}/* on the run's system charts)",
    )


__all__ = ["RATE_KEY", "STRAGGLER_RATIO", "check_straggler", "rank_rate_keys", "where"]
