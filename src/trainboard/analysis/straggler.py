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

Where they synchronise every step, the signal is the time each rank waits for the others in
the all-reduce (`sys/rank{r}/comm_wait`, seconds per step, sdk/commwait.py): the fast ranks
wait, the slow one hardly does. When the others wait COMM_BOUND or more of each step and the
rank that waits least waits at most half as long, that rank is the one they wait for:
"rank 1 (host h, GPU 1) is the one the others wait for: they wait 68% of each step (it
waits 3%)".

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
COMM_KEY = re.compile(r"^sys/rank(\d+)/comm_wait$")
COMM_BOUND = 0.3  # the others wait this share of each step in the all-reduce, or more...
COMM_GAP = 0.5  # ...and the rank they wait for waits at most this share of their wait


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
    comm: Mapping[int, npt.ArrayLike] | None = None,
) -> Finding | None:
    """The slowest rank, when it is STRAGGLER_RATIO× slower than the median of the others;
    `waits`: each rank's data-wait samples (seconds per step), when the script logs it;
    `comm`: each rank's all-reduce wait (seconds per step), where DDP's was timed. When the
    rates do not tell (DDP: all alike), the waits name the rank the others wait for."""
    medians = _medians(rates)
    if len(medians) < 2:
        return None
    slowest = min(medians, key=lambda r: (medians[r], r))
    others = float(np.median([m for r, m in medians.items() if r != slowest]))
    mine = medians[slowest]
    if others <= 0 or (mine > 0 and others / mine < STRAGGLER_RATIO):
        return _waited_for(medians, comm or {}, ranks)
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


def _medians(series: Mapping[int, npt.ArrayLike]) -> dict[int, float]:
    """rank -> the median of its finite samples, for ranks with STRAGGLER_MIN_SAMPLES."""
    medians: dict[int, float] = {}
    for rank, values in series.items():
        v = np.asarray(values, dtype=np.float64)
        v = v[np.isfinite(v)]
        if len(v) >= STRAGGLER_MIN_SAMPLES:
            medians[rank] = float(np.median(v))
    return medians


def _waited_for(
    rates: Mapping[int, float],
    comm: Mapping[int, npt.ArrayLike],
    ranks: Mapping[str, Any] | None,
) -> Finding | None:
    """The rank the others wait for in a synchronised job: it waits least in the all-reduce
    while the others wait COMM_BOUND of each step or more (their share: the median wait
    times the rank's own step rate; the seconds alone where no rate is known)."""
    waits = _medians(comm)
    if len(waits) < 2:
        return None
    share = {r: min(1.0, w * rates[r]) if rates.get(r, 0) > 0 else None for r, w in waits.items()}
    least = min(waits, key=lambda r: (waits[r], r))
    others = float(np.median([w for r, w in waits.items() if r != least]))
    if others <= 0 or waits[least] > COMM_GAP * others:
        return None
    known = [s for r, s in share.items() if r != least and s is not None]
    theirs = float(np.median(known)) if known else None
    if theirs is not None and theirs < COMM_BOUND:
        return None  # a short wait beside a long step: the job is not held back much
    info = (ranks or {}).get(str(least))
    if theirs is not None:
        mine = share[least]
        how = f"they wait {theirs:.0%} of each step" + (
            f" (it waits {mine:.0%})" if mine is not None else ""
        )
    else:
        how = f"they wait {others:.3g} s a step in the all-reduce (it waits {waits[least]:.3g} s)"
    return Finding(
        "straggler",
        "warning",
        f"{where(least, info)} is the one the others wait for: {how}",
        f"look at what rank {least} does differently: its host's load, its data loading, "
        f"its GPU (sys/rank{least}/* on the run's system charts); the others wait for it in "
        "every all-reduce",
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


__all__ = [
    "COMM_KEY",
    "RATE_KEY",
    "STRAGGLER_RATIO",
    "WAIT_KEY",
    "check_straggler",
    "rank_rate_keys",
    "where",
]
