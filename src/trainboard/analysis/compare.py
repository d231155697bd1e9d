"""Which run won: the deciding metric, the best run per model group, and each run's distance.

Ranking reads run summaries only (no point reads), so the Runs page can rank 10,000 runs per
request. The side-by-side comparison (`compare`) builds on the same ranking and reads only the
few points a summary cannot give (the epoch at the best step, mean GPU utilisation).

Conventions shared by the API, the CLI and the reports:

- The deciding metric defaults to the validation / eval loss when one is logged, else the train
  loss (`deciding_metric`).
- A run's value is its best value of that metric: the summary minimum for a "min" goal, the
  maximum for a "max" goal. A non-finite value (NaN, ±inf) counts as no value: such a run is
  never best and has no delta.
- `delta_pct = 100 * (value - best) / |best|` to minimise, `100 * (best - value) / |best|` to
  maximise: positive means worse, 0 for the best run. When the best value is exactly 0 a
  relative distance does not exist, so the delta is None for the runs that differ from it.
- Ties go to the run created first (it reached that value first), then to the smaller id, so
  the same data always gives the same winner.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from trainboard.analysis.goals import goal_for
from trainboard.store.base import Goal, RunRecord

__all__ = [
    "EVAL_LOSS_KEYS",
    "TRAIN_LOSS_KEYS",
    "RunRank",
    "best_value",
    "delta_pct",
    "deciding_metric",
    "metric_goal",
    "rank_in_groups",
    "rank_key",
]

# Preferred names, in order; other eval/train loss keys are matched by pattern after these.
EVAL_LOSS_KEYS = (
    "eval/loss",
    "val/loss",
    "eval_loss",
    "val_loss",
    "validation/loss",
    "valid/loss",
    "validation_loss",
    "valid_loss",
    "test/loss",
    "test_loss",
)
TRAIN_LOSS_KEYS = ("train/loss", "loss", "train_loss", "training/loss", "training_loss")

_EVAL_WORDS = ("eval", "val", "validation", "valid", "dev", "test")
_TRAIN_WORDS = ("train", "training")
_WORD = re.compile(r"[a-z0-9]+")


def _words(key: str) -> list[str]:
    return _WORD.findall(key.lower())


def _is_loss(key: str) -> bool:
    return key.lower().endswith("loss")


def deciding_metric(keys: Iterable[str]) -> str | None:
    """The metric that decides "best" when the user named none.

    Validation loss wins over train loss because it is what generalises; among several eval
    losses the conventional names come first, then any eval/val key ending in "loss"
    (alphabetically, so the choice is stable). None when no loss is logged at all."""
    present = set(keys)
    for key in EVAL_LOSS_KEYS:
        if key in present:
            return key
    evals = sorted(
        k for k in present if _is_loss(k) and any(w in _EVAL_WORDS for w in _words(k)[:-1])
    )
    if evals:
        return evals[0]
    for key in TRAIN_LOSS_KEYS:
        if key in present:
            return key
    trains = sorted(
        k for k in present if _is_loss(k) and any(w in _TRAIN_WORDS for w in _words(k)[:-1])
    )
    if trains:
        return trains[0]
    others = sorted(k for k in present if _is_loss(k) and not k.startswith("sys/"))
    return others[0] if others else None


def metric_goal(metric: str, goals: Mapping[str, Goal] | None = None) -> Goal:
    """The direction of `metric`: define_metric() choice, else the name, else "min".

    A metric whose name says nothing (e.g. "grad_norm") is ranked lowest-first; callers
    that show a goal say which was used, so the user can set it with define_metric()."""
    return goal_for(metric, goals) or "min"


def best_value(run: RunRecord, metric: str, goal: Goal) -> float | None:
    """The run's best value of `metric` from its summary; None when absent or not finite."""
    s = run.summary.get(metric)
    if s is None:
        return None
    v = s.min if goal == "min" else s.max
    if v is None or not math.isfinite(v):
        return None
    return float(v)


def delta_pct(value: float | None, best: float | None, goal: Goal) -> float | None:
    """How much worse `value` is than `best`, in percent of |best| (positive = worse)."""
    if value is None or best is None:
        return None
    if value == best:
        return 0.0
    if best == 0:
        return None
    diff = value - best if goal == "min" else best - value
    return 100.0 * diff / abs(best)


def rank_key(
    value: float | None, goal: Goal, created_at: float, run_id: str
) -> tuple[int, float, float, str]:
    """Sort key: best value first, ties to the earlier run, runs without a value last."""
    if value is None:
        return (1, 0.0, created_at, run_id)
    return (0, value if goal == "min" else -value, created_at, run_id)


@dataclass(frozen=True)
class RunRank:
    """Where one run stands in its model group.

    `best_value` is this run's own best value of `metric`; `best_run` is the id of the group's
    best run (None when no run of the group has the metric)."""

    group_best: bool
    delta_pct: float | None
    metric: str | None
    best_value: float | None
    best_run: str | None = None
    goal: Goal | None = None


def _group_metric(members: Sequence[RunRecord]) -> str | None:
    keys: set[str] = set()
    for r in members:
        keys.update(r.summary)
    return deciding_metric(keys)


def rank_in_groups(runs: Sequence[RunRecord], metric: str | None = None) -> dict[str, RunRank]:
    """Group `runs` by model (runs without a model form one group) and rank each group.

    With no `metric`, each group uses its own deciding metric over the keys its runs logged,
    so a group that logs eval loss is ranked by it even when a fresh run has none yet (that
    run then has no delta rather than pulling the group onto train loss)."""
    groups: dict[str | None, list[RunRecord]] = {}
    for r in runs:
        groups.setdefault(r.model, []).append(r)
    out: dict[str, RunRank] = {}
    for members in groups.values():
        key = metric or _group_metric(members)
        if key is None:
            for r in members:
                out[r.id] = RunRank(False, None, None, None)
            continue
        goals: dict[str, Goal] = {}
        for r in members:
            goals.update(r.goals)
        goal = metric_goal(key, goals)
        values = {r.id: best_value(r, key, goal) for r in members}
        winner = min(members, key=lambda r: rank_key(values[r.id], goal, r.created_at, r.id))
        best = values[winner.id]
        best_id = winner.id if best is not None else None
        for r in members:
            out[r.id] = RunRank(
                group_best=r.id == best_id,
                delta_pct=delta_pct(values[r.id], best, goal),
                metric=key,
                best_value=values[r.id],
                best_run=best_id,
                goal=goal,
            )
    return out
