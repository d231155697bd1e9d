"""The straggler check: one rank of a multi-process job well behind the others.

Every rank reports its own step rate (`sys/rank{r}/steps_per_s`, sdk/ranks.py). Where ranks
run at their own pace (between syncs, data-parallel evaluation, jobs that sync rarely) the
slow rank's rate is lower, and this check names it: "rank 1 (host h, GPU 1) is 2.9× slower
than the median rank". Where they synchronise every step (DDP's all-reduce) every rank
runs at the slowest one's pace, every rate is the same, and this check sees nothing: that
case is documented in docs/distributed.md.

When the ranks report the data wait the script logs (`sys/rank{r}/data_wait`, seconds per
step), the finding says how much of the slow rank's step is that wait ("it spends 70% of
its step waiting for data"): then its data loading is what to look at.

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
DATA_BOUND = 0.3  # a data wait this share of the slow rank's step is worth naming
RATE_KEY = re.compile(r"^sys/rank(\d+)/steps_per_s$")
WAIT_KEY = re.compile(r"^sys/rank(\d+)/data_wait$")


def rank_rate_keys(
    keys: Sequence[str] | Mapping[str, Any], pattern: re.Pattern[str] = RATE_KEY
) -> dict[int, str]:
    """rank -> its step-rate key (or, with WAIT_KEY, its data-wait key), for a run's keys."""
    found = {}
    for k in keys:
        m = pattern.match(k)
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
    waits: Mapping[int, npt.ArrayLike] | None = None,
) -> Finding | None:
    """The slowest rank, when it is STRAGGLER_RATIO× slower than the median of the others;
    `waits`: each rank's data-wait samples (seconds per step), when the script logs it."""
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
    share = _wait_share((waits or {}).get(slowest), mine)
    look = "its host's load, its data shard, its GPU"
    if share is not None and share >= DATA_BOUND:
        saw += f"; it spends {share:.0%} of its step waiting for data"
        look = "its data loading (workers, disk, its data shard)"
    return Finding(
        "straggler",
        "warning",
        saw,
        f"look at what rank {slowest} does differently: {look} "
        f"(sys/rank{slowest}/* on the run's system charts)",
    )


def _wait_share(waits: npt.ArrayLike | None, rate: float) -> float | None:
    """The share of a step (1/rate seconds) spent waiting for data, at most 1."""
    if waits is None or rate <= 0:
        return None
    v = np.asarray(waits, dtype=np.float64)
    v = v[np.isfinite(v)]
    if len(v) == 0:
        return None
    return min(1.0, float(np.median(v)) * rate)


__all__ = ["RATE_KEY", "STRAGGLER_RATIO", "WAIT_KEY", "check_straggler", "rank_rate_keys", "where"]
