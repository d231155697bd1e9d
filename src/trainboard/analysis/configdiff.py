"""Config differences between runs, and which parameters go with better results.

Only the parameters that differ are worth a person's attention: a 40-key config where two keys
changed should read as two rows. Nested configs are flattened with dots ("optim.lr").

With enough evidence, each differing parameter is checked against the deciding metric: numeric
parameters by Spearman rank correlation (robust to the log scale of learning rates),
categorical ones by the mean metric per value. Enough means at least
`MIN_RUNS_FOR_ASSOCIATION` runs with a value covering at least `MIN_DISTINCT_VALUES` distinct
values of the parameter: one run with another warm-up among four is an anecdote, not a trend.
Parameters that name a run rather than train it (ids, seeds, indices: `IDENTITY_WORDS`) are
never associated. These are associations, not causes, and the text says how many runs they
rest on.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from trainboard.roles import words
from trainboard.store.records import Goal, RunRecord

__all__ = [
    "MIN_RUNS_FOR_ASSOCIATION",
    "Association",
    "ConfigDiff",
    "config_diff",
    "flatten_config",
    "spearman",
]

MIN_RUNS_FOR_ASSOCIATION = 5
MIN_DISTINCT_VALUES = 3
IDENTITY_WORDS = frozenset(
    {"seed", "seeds", "id", "ids", "uuid", "idx", "index", "trial", "rank", "pid", "hash",
     "commit", "timestamp", "run"}
)  # fmt: skip
_STRONG = 0.5  # |rho| at or above which a numeric association is reported


def flatten_config(config: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """{"optim": {"lr": 1e-3}} -> {"optim.lr": 1e-3}; lists stay values."""
    out: dict[str, Any] = {}
    for k, v in config.items():
        key = f"{prefix}{k}"
        if isinstance(v, Mapping):
            out.update(flatten_config(v, key + "."))
        else:
            out[key] = v
    return out


def _ranks(xs: Sequence[float]) -> list[float]:
    """Average ranks (1-based), ties share the mean of their positions."""
    order = sorted(range(len(xs)), key=lambda i: xs[i])
    ranks = [0.0] * len(xs)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and xs[order[j + 1]] == xs[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return ranks


def spearman(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Spearman's rho (Pearson correlation of average ranks); None when undefined."""
    if len(xs) != len(ys) or len(xs) < 2:
        return None
    rx, ry = _ranks(xs), _ranks(ys)
    mx, my = sum(rx) / len(rx), sum(ry) / len(ry)
    sxy = sum((a - mx) * (b - my) for a, b in zip(rx, ry, strict=True))
    sxx = sum((a - mx) ** 2 for a in rx)
    syy = sum((b - my) ** 2 for b in ry)
    if sxx == 0 or syy == 0:
        return None
    return sxy / math.sqrt(sxx * syy)


@dataclass
class Association:
    """How one parameter goes with the metric across the runs that have both."""

    key: str
    kind: str  # "numeric" | "categorical"
    n: int
    text: str
    rho: float | None = None  # numeric: Spearman rho between parameter and metric
    means: dict[str, float] = field(default_factory=dict)  # categorical: mean metric per value
    best: Any = None  # the value (categorical) or direction ("higher"/"lower") that did better

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class ConfigDiff:
    """`params`: key -> {run id: value (None when the run lacks the key)}, differing keys only.

    A key that is null in some runs and missing in the others is the same in all of them:
    configs written by different code (an HF run's 161 TrainingArguments, most of them null)
    leave out what another sets to null, and neither says more than "not set"."""

    params: dict[str, dict[str, Any]]
    same: int  # how many keys are identical in every run
    associations: list[Association] = field(default_factory=list)
    note: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "params": self.params,
            "same": self.same,
            "associations": [a.to_json() for a in self.associations],
            "note": self.note,
        }


def _num(v: Any) -> float | None:
    if isinstance(v, bool) or not isinstance(v, int | float):
        return None
    f = float(v)
    return f if math.isfinite(f) else None


def _label(v: Any) -> str:
    return "—" if v is None else str(v)


def is_identity(key: str) -> bool:
    """True for a parameter that names a run (seed, run_id, idx, trial.number...)."""
    return any(w in IDENTITY_WORDS for w in words(key))


def _associate(
    key: str, values: Mapping[str, Any], metric: Mapping[str, float | None], name: str, goal: Goal
) -> Association | None:
    pairs = [(values[r], m) for r, m in metric.items() if m is not None and r in values]
    if len(pairs) < MIN_RUNS_FOR_ASSOCIATION or is_identity(key):
        return None
    if len({repr(v) for v, _ in pairs}) < MIN_DISTINCT_VALUES:
        return None
    nums = [(_num(v), m) for v, m in pairs]
    better_word = "lower" if goal == "min" else "higher"
    if all(x is not None for x, _ in nums):
        xs = [float(x) for x, _ in nums if x is not None]
        rho = spearman(xs, [m for _, m in nums])
        if rho is None or abs(rho) < _STRONG:
            return None
        # goal min: a negative rho means higher values go with a lower (better) metric
        higher_is_better = (rho < 0) == (goal == "min")
        direction = "higher" if higher_is_better else "lower"
        return Association(
            key, "numeric", len(xs),
            f"{direction} {key} goes with {better_word} {name} "
            f"(Spearman rho {rho:+.2f} over {len(xs)} runs)",
            rho=rho, best=direction,
        )  # fmt: skip
    groups: dict[str, list[float]] = {}
    for v, m in pairs:
        groups.setdefault(_label(v), []).append(m)
    if len(groups) < 2:
        return None
    means = {k: sum(ms) / len(ms) for k, ms in groups.items()}
    pick = min if goal == "min" else max
    best = pick(means, key=lambda k: means[k])
    parts = ", ".join(f"{k}: {means[k]:.4g} ({len(groups[k])})" for k in sorted(means))
    return Association(
        key, "categorical", len(pairs),
        f"{key} = {best} has the {'lowest' if goal == 'min' else 'highest'} mean {name} "
        f"({parts}; runs per value in brackets)",
        means=means, best=best,
    )  # fmt: skip


def config_diff(
    runs: Sequence[RunRecord],
    metric_values: Mapping[str, float | None] | None = None,
    metric: str = "metric",
    goal: Goal = "min",
) -> ConfigDiff:
    """The parameters that differ between `runs`, and (with ≥ 5 runs with a metric value,
    covering ≥ 3 values of a parameter) which of them go with a better `metric`."""
    flat = {r.id: flatten_config(r.config) for r in runs}
    keys = sorted({k for cfg in flat.values() for k in cfg})
    params: dict[str, dict[str, Any]] = {}
    same = 0
    for key in keys:
        vals = {rid: cfg.get(key) for rid, cfg in flat.items()}  # missing reads as None
        if len({repr(v) for v in vals.values()}) == 1:
            same += 1
        else:
            params[key] = vals
    diff = ConfigDiff(params=params, same=same)
    if len(runs) < 2:
        diff.note = "one run: nothing to compare"
        return diff
    if metric_values is None:
        return diff
    ranked = sum(v is not None for v in metric_values.values())
    if ranked < MIN_RUNS_FOR_ASSOCIATION:
        diff.note = (
            f"{ranked} runs have a value of {metric}: at least {MIN_RUNS_FOR_ASSOCIATION} are "
            "needed to say which parameters go with better results"
        )
        return diff
    for key, vals in params.items():
        a = _associate(key, vals, metric_values, metric, goal)
        if a is not None:
            diff.associations.append(a)
    if not diff.associations:
        diff.note = (
            f"no differing parameter goes clearly with a better {metric} (over {ranked} runs; "
            f"a parameter needs {MIN_DISTINCT_VALUES} or more distinct values among them, "
            "and ids, seeds and indices are left out)"
        )
    return diff
