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
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from trainboard import roles
from trainboard.analysis import format as fmt
from trainboard.analysis.configdiff import ConfigDiff, config_diff, flatten_config
from trainboard.analysis.progress import progress_for
from trainboard.errors import RunNotFoundError, UsageError
from trainboard.jsonvalues import spell_all
from trainboard.roles import MetricRole
from trainboard.store.base import Goal, GroupLeaders, RunQuery, RunRecord, Status, Store

if TYPE_CHECKING:
    from trainboard.analysis.trend import Trend

__all__ = [
    "DEFAULT_THRESHOLD_PCT",
    "Comparison",
    "ComparedRun",
    "Recommendation",
    "Row",
    "RunFacts",
    "RunRank",
    "best_at_text",
    "best_value",
    "build_comparison",
    "cell_text",
    "delta_text",
    "compare",
    "deciding_metric",
    "default_metric",
    "delta_pct",
    "final_perplexity",
    "gather_facts",
    "metric_goal",
    "rank_in_groups",
    "rank_key",
    "recommend",
    "runs_worse_than",
    "total_epochs",
    "train_loss_key",
]


def deciding_metric(keys: Iterable[str], defined: Mapping[str, str] | None = None) -> str | None:
    """The metric that decides "best" when the user named none: `roles.deciding_metric`
    (eval loss, else train loss, else an eval quality metric...)."""
    return roles.deciding_metric(keys, defined)


def metric_goal(metric: str, goals: Mapping[str, str] | None = None) -> Goal:
    """The direction of `metric`: define_metric() choice, else its role, else "min".

    A metric whose role says nothing (e.g. "grad_norm") is ranked lowest-first; callers
    that show a goal say which was used, so the user can set it with define_metric()."""
    return roles.goal_of(metric, goals) or "min"


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
    # rounded far below anything shown, so a run exactly at a threshold by hand (0.6 vs 0.8
    # is 25 %, not 25.000000000000007 %) is not flagged by float noise
    return round(100.0 * diff / abs(best), 9)


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
    defined: dict[str, str] = {}
    for r in members:
        keys.update(r.summary)
        defined.update(r.goals)
    return deciding_metric(keys, defined)


def _group_best(
    candidates: Sequence[RunRecord], values: Mapping[str, float | None], goal: Goal
) -> tuple[float | None, str | None]:
    """The best value and the run holding it: `min(candidates, key=rank_key)`, with the
    rank keys built only for the runs tied at the best value (10,000 runs rank per request)."""
    finite = [v for v in values.values() if v is not None]
    if not finite:
        return None, None
    best = min(finite) if goal == "min" else max(finite)
    tied = [r for r in candidates if values[r.id] == best]
    winner = min(tied, key=lambda r: rank_key(best, goal, r.created_at, r.id))
    return best, winner.id


def rank_in_groups(
    runs: Sequence[RunRecord],
    metric: str | None = None,
    peers: Mapping[str | None, GroupLeaders] | None = None,
) -> dict[str, RunRank]:
    """Group `runs` by model (runs without a model form one group) and rank each group.

    With no `metric`, each group uses its own deciding metric over the keys its runs logged,
    so a group that logs eval loss is ranked by it even when a fresh run has none yet (that
    run then has no delta rather than pulling the group onto train loss).

    `peers` (from Store.group_leaders) stands for the rest of each group: every run that
    matches a list's filters, not only the page in `runs`. The page is then ranked exactly as
    the whole list would be (same deciding metric, goals, best run and deltas) while only the
    runs at each group's extremes are read. Peers cover the loss keys, so pass no `metric`
    other than a loss with them. Only `runs` get a RunRank."""
    groups: dict[str | None, list[RunRecord]] = {}
    for r in runs:
        groups.setdefault(r.model, []).append(r)
    out: dict[str, RunRank] = {}
    for model, members in groups.items():
        lead = peers.get(model) if peers is not None else None
        keys: set[str] = set() if lead is None else set(lead.keys)
        goals: dict[str, str] = {} if lead is None else dict(lead.goals)
        candidates = list(members)
        for r in members:
            keys.update(r.summary)
            if lead is None:
                goals.update(r.goals)
            else:  # a run newer than the peers' read: its choices only fill gaps
                for k, g in r.goals.items():
                    goals.setdefault(k, g)
        if lead is not None:
            ids = {r.id for r in members}
            candidates += [r for r in lead.leaders if r.id not in ids]
        key = metric or deciding_metric(keys, goals)
        if key is None:
            for r in members:
                out[r.id] = RunRank(False, None, None, None)
            continue
        goal = metric_goal(key, goals)
        values = {r.id: best_value(r, key, goal) for r in candidates}
        best, best_id = _group_best(candidates, values, goal)
        deltas: dict[float | None, float | None] = {}  # runs often share values (re-runs)
        for r in members:
            v = values[r.id]
            d = deltas[v] if v in deltas else deltas.setdefault(v, delta_pct(v, best, goal))
            # positional: group_best, delta_pct, metric, best_value, best_run, goal
            out[r.id] = RunRank(r.id == best_id, d, key, v, best_id, goal)
    return out


# --- the side-by-side comparison ------------------------------------------------------------

DEFAULT_THRESHOLD_PCT = 25.0
EPOCH_KEY = "epoch"
_EPOCH_CONFIG_KEYS = ("num_epochs", "epochs", "num_train_epochs", "max_epochs", "n_epochs")
_GPU_UTIL = re.compile(r"^(sys|system)/gpu[^/]*/(util|utilization|util_pct|utilization_pct)$")
_LOSSES = ("train_loss", "eval_loss")


@dataclass
class RunFacts:
    """What a comparison needs beyond a run's summary, read from the store by `gather_facts`.

    Progress numbers come from `analysis.progress` (one place for throughput and elapsed);
    `epoch_at_best` is the `epoch` metric at the step where the deciding metric was best;
    `gpu_util` the mean of the run's GPU utilisation series (mean over GPUs)."""

    status: Status
    duration_s: float | None = None
    steps_per_s: float | None = None
    tokens_per_s: float | None = None
    tokens: float | None = None
    epoch_at_best: float | None = None
    gpu_util: float | None = None


@dataclass
class ComparedRun:
    """One run's column of the comparison table."""

    id: str
    name: str
    project: str
    model: str | None
    status: Status
    archived: bool
    chosen: bool  # a person marked it as the one they chose
    created_at: float
    index: int  # position in the selection: the run's colour everywhere
    rank: int | None  # 1 = best; None when the run has no finite value of the metric
    best_value: float | None  # the run's best value of the metric (NaN when that is all it has)
    best_step: int | None
    best_epoch: float | None
    total_epochs: float | None
    total_steps: int | None
    best_at: str  # "epoch 11 of 12", "step 1200 of 2000", "—"
    last_step: int | None  # the metric's last logged step
    stopped_improving: bool | None  # best before the metric's last value
    delta_pct: float | None
    final_train_loss: float | None
    final_perplexity: float | None
    duration_s: float | None
    steps_per_s: float | None
    tokens_per_s: float | None
    tokens: float | None
    gpu_util: float | None
    trophy: bool = False
    warning: bool = False

    def to_json(self) -> dict[str, Any]:
        d = dict(self.__dict__)
        d["text"] = {k: cell_text(self, k) for k in CELL_FORMATS}
        return d


def delta_text(run: ComparedRun) -> str:
    """ "best" for the winner, "+35.2%" for the others, "—" without a value."""
    if run.trophy:
        return "best"
    if run.delta_pct is None:
        return fmt.UNKNOWN
    return f"{run.delta_pct:+.1f}%"


# How each table field reads, in the terminal, the reports and the web page alike.
CELL_FORMATS: dict[str, Callable[[ComparedRun], str]] = {
    "best_value": lambda r: fmt.number(r.best_value),
    "delta_pct": delta_text,
    "best_at": lambda r: r.best_at,
    "final_train_loss": lambda r: fmt.number(r.final_train_loss),
    "final_perplexity": lambda r: fmt.number(r.final_perplexity, 2),
    "duration_s": lambda r: fmt.duration(r.duration_s),
    "steps_per_s": lambda r: fmt.rate(r.steps_per_s),
    "tokens_per_s": lambda r: fmt.rate(r.tokens_per_s),
    "tokens": lambda r: fmt.millions(r.tokens),
    "gpu_util": lambda r: fmt.percent(r.gpu_util),
    "status": lambda r: r.status,
}


def cell_text(run: ComparedRun, key: str) -> str:
    return CELL_FORMATS[key](run)


@dataclass(frozen=True)
class Row:
    """A row of the comparison table: which field, its label, which way is better, and the
    runs holding the best value (ties all highlighted; empty when no goal or no value)."""

    key: str
    label: str
    goal: Goal | None
    best: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "label": self.label, "goal": self.goal, "best": list(self.best)}


@dataclass
class Recommendation:
    run: str | None
    reasons: list[str]
    text: str

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Comparison:
    """The result of `compare`: the issue #4 contract (`to_json`) and what the table shows."""

    metric: str | None
    goal: Goal
    best: str | None
    threshold_pct: float
    runs: list[ComparedRun]  # best first, then worse, then runs without a value
    rows: list[Row]
    recommendation: Recommendation
    config_diff: ConfigDiff
    models: list[str | None]
    keys: list[str] = field(default_factory=list)  # every metric the runs logged
    roles: dict[str, MetricRole] = field(default_factory=dict)  # what each key is
    train_loss_key: str | None = None  # the runs' train loss (the curves' second chart)
    trends: list[tuple[str | None, Trend]] = field(default_factory=list)

    def run(self, run_id: str) -> ComparedRun:
        for r in self.runs:
            if r.id == run_id:
                return r
        raise RunNotFoundError(run_id)

    def to_json(self) -> dict[str, Any]:
        """JSON-safe (NaN and ±inf as the strings the API uses everywhere)."""
        d = {
            "metric": self.metric,
            "goal": self.goal,
            "best": self.best,
            "threshold_pct": self.threshold_pct,
            "runs": [r.to_json() for r in self.runs],
            "rows": [r.to_json() for r in self.rows],
            "recommendation": self.recommendation.to_json(),
            "config_diff": self.config_diff.to_json(),
            "models": self.models,
            "keys": self.keys,
            "roles": {k: r.to_json() for k, r in self.roles.items()},
            "train_loss_key": self.train_loss_key,
            "trends": [{"model": m, **t.to_json()} for m, t in self.trends],
        }
        return spell_all(d)  # type: ignore[no-any-return]


def _finite(v: float | None) -> bool:
    return v is not None and math.isfinite(v)


def train_loss_key(keys: Iterable[str], defined: Mapping[str, str] | None = None) -> str | None:
    """The train loss among `keys` (never an eval/validation loss): `roles.train_loss_key`."""
    return roles.train_loss_key(keys, defined)


def default_metric(keys: Iterable[str], goals: Mapping[str, str] | None = None) -> str | None:
    """`deciding_metric`, else a logged metric the run defined a goal for, so a comparison of
    runs that log no loss or quality metric still decides on something they chose."""
    present = sorted(set(keys))
    found = deciding_metric(present, goals)
    if found is not None:
        return found
    for k in present:
        r = roles.role_of(k, goals)
        if r.explicit and r.goal is not None and r.role != "system":
            return k
    return None


def total_epochs(run: RunRecord) -> float | None:
    """From the config (num_epochs, epochs, ... at any depth), else the last epoch logged."""
    flat = flatten_config(run.config)
    for name in _EPOCH_CONFIG_KEYS:
        for k, v in flat.items():
            if (k == name or k.endswith("." + name)) and not isinstance(v, bool):
                if isinstance(v, int | float) and math.isfinite(v) and v > 0:
                    return float(v)
    s = run.summary.get(EPOCH_KEY)
    if s is not None and math.isfinite(s.max) and s.max > 0:
        return float(math.ceil(s.max))
    return None


def _epoch_text(e: float) -> str:
    return str(int(e)) if float(e).is_integer() else f"{e:.1f}"


def best_at_text(
    best_step: int | None, epoch: float | None, epochs: float | None, total_steps: int | None
) -> str:
    """ "epoch 11 of 12", "epoch 3.5", "step 1200 of 2000", "step 1200", or "—"."""
    if epoch is not None and math.isfinite(epoch):
        text = f"epoch {_epoch_text(epoch)}"
        return f"{text} of {_epoch_text(epochs)}" if epochs else text
    if best_step is None:
        return "—"
    return f"step {best_step} of {total_steps}" if total_steps else f"step {best_step}"


def final_perplexity(run: RunRecord, metric: str | None) -> float | None:
    """exp(the metric's final value) when the metric is a loss, else a logged perplexity
    (the eval one first)."""
    is_loss = metric is not None and roles.role_of(metric, run.goals).role in _LOSSES
    if metric is not None and is_loss and metric in run.summary:
        last = run.summary[metric].last
        try:
            return math.exp(last)
        except OverflowError:
            return math.inf
    ppl = roles.pick(run.summary, "perplexity", run.goals, "eval") or roles.pick(
        run.summary, "perplexity", run.goals
    )
    return None if ppl is None else float(run.summary[ppl].last)


def _best_step(run: RunRecord, metric: str, goal: Goal) -> int | None:
    s = run.summary.get(metric)
    if s is None:
        return None
    return s.min_step if goal == "min" else s.max_step


def _raw_best(run: RunRecord, metric: str | None, goal: Goal) -> float | None:
    if metric is None or metric not in run.summary:
        return None
    s = run.summary[metric]
    return float(s.min if goal == "min" else s.max)


def _row_best(runs: Sequence[ComparedRun], key: str, goal: Goal | None) -> tuple[str, ...]:
    """Ids holding the best finite value of a row, for highlighting.

    Ties are judged on the text shown: runs that read the same as the best are all
    highlighted, and when every run reads the same nothing is (three runs of "0s" have no
    fastest, whatever the milliseconds say)."""
    if goal is None:
        return ()
    pool = runs
    if key == "duration_s":  # "fastest" only means something for runs that finished
        pool = [r for r in runs if r.status == "finished"]
    finite = [r for r in pool if _finite(getattr(r, key))]
    if not finite:
        return ()
    pick = min if goal == "min" else max
    top = cell_text(pick(finite, key=lambda r: float(getattr(r, key))), key)
    best = tuple(r.id for r in finite if cell_text(r, key) == top)
    return () if len(best) > 1 and len(best) == len(finite) else best


def _rows(runs: Sequence[ComparedRun], metric: str | None, goal: Goal) -> list[Row]:
    specs: list[tuple[str, str, Goal | None]] = [
        ("best_value", f"best {metric}" if metric else "best value", goal),
        ("delta_pct", "vs best", None),
        ("best_at", "best at", None),
        ("final_train_loss", "final train loss", "min"),
        ("final_perplexity", "final perplexity", "min"),
        ("duration_s", "training time", "min"),
        ("steps_per_s", "steps/s", "max"),
        ("tokens_per_s", "tokens/s", "max"),
        ("tokens", "tokens seen", None),
        ("gpu_util", "GPU utilisation %", "max"),
        ("status", "status", None),
    ]
    rows = []
    for key, label, g in specs:
        if key == "gpu_util" and all(r.gpu_util is None for r in runs):
            continue  # shown only when logged
        best = _row_best(runs, key, g)
        if key == "best_value":  # ties all highlighted; the trophy still goes to one run
            best = tuple(r.id for r in runs if r.rank is not None and r.delta_pct == 0.0)
        rows.append(Row(key, label, g, best))
    return rows


def build_comparison(
    runs: Sequence[RunRecord],
    facts: Mapping[str, RunFacts],
    metric: str | None = None,
    threshold_pct: float = DEFAULT_THRESHOLD_PCT,
) -> Comparison:
    """The comparison of `runs` (in selection order) on `metric` (default: `default_metric`
    over every key they logged). Pure: `facts` carries what was read from the store."""
    if not runs:
        raise UsageError("compare: expected at least one run id, got none")
    if not math.isfinite(threshold_pct) or threshold_pct < 0:
        raise UsageError(f"compare: threshold must be a percentage >= 0, got {threshold_pct!r}")
    goals: dict[str, str] = {}
    for r in runs:
        goals.update(r.goals)
    keys = {k for r in runs for k in r.summary}
    if metric is None:
        metric = default_metric(keys, goals)
    elif metric not in keys:
        logged = ", ".join(sorted(keys)) or "none"
        raise UsageError(
            f"compare: metric {metric!r} is not logged by any of the runs (logged: {logged})"
        )
    goal = metric_goal(metric, goals) if metric else "min"
    values = {r.id: best_value(r, metric, goal) if metric else None for r in runs}
    order = sorted(
        range(len(runs)),
        key=lambda i: rank_key(values[runs[i].id], goal, runs[i].created_at, runs[i].id),
    )
    winner = runs[order[0]] if values[runs[order[0]].id] is not None else None
    best = values[winner.id] if winner else None
    compared: list[ComparedRun] = []
    for rank, i in enumerate(order, start=1):
        r = runs[i]
        f = facts.get(r.id) or RunFacts(status=r.status)
        v = values[r.id]
        step = _best_step(r, metric, goal) if metric and metric in r.summary else None
        epochs = total_epochs(r)
        m = r.summary.get(metric) if metric else None
        d = delta_pct(v, best, goal)
        tl = train_loss_key(r.summary, r.goals)
        compared.append(
            ComparedRun(
                id=r.id,
                name=r.name,
                project=r.project,
                model=r.model,
                status=f.status,
                archived=r.archived,
                chosen=r.chosen,
                created_at=r.created_at,
                index=i,
                rank=rank if v is not None else None,
                best_value=_raw_best(r, metric, goal),
                best_step=step,
                best_epoch=f.epoch_at_best,
                total_epochs=epochs,
                total_steps=r.total_steps,
                best_at=best_at_text(step, f.epoch_at_best, epochs, r.total_steps),
                last_step=m.last_step if m else None,
                stopped_improving=(step < m.last_step) if m and step is not None else None,
                delta_pct=d,
                final_train_loss=float(r.summary[tl].last) if tl else None,
                final_perplexity=final_perplexity(r, metric),
                duration_s=f.duration_s,
                steps_per_s=f.steps_per_s,
                tokens_per_s=f.tokens_per_s,
                tokens=f.tokens,
                gpu_util=f.gpu_util,
                trophy=winner is not None and r.id == winner.id,
                warning=d is not None and d > threshold_pct,
            )  # fmt: skip
        )
    rec = recommend(compared, metric, goal, threshold_pct)
    diff = config_diff(runs, values, metric or "metric", goal)
    models = list(dict.fromkeys(r.model for r in runs))
    return Comparison(
        metric=metric, goal=goal, best=winner.id if winner else None,
        threshold_pct=threshold_pct, runs=compared, rows=_rows(compared, metric, goal),
        recommendation=rec, config_diff=diff, models=models, keys=sorted(keys),
        roles=roles.roles_of(sorted(keys), goals), train_loss_key=train_loss_key(keys, goals),
    )  # fmt: skip


def _names(runs: Iterable[ComparedRun]) -> str:
    return ", ".join(r.name for r in runs)


def _fastest(runs: Sequence[ComparedRun]) -> ComparedRun | None:
    """The quickest finished run, when finished runs' times differ by more than 5 %
    and by more than a second (otherwise "fastest" would be noise worth no sentence)."""
    done = [r for r in runs if r.status == "finished" and _finite(r.duration_s)]
    if len(done) < 2:
        return None
    times = [r.duration_s or 0.0 for r in done]
    if max(times) - min(times) <= max(0.05 * max(times), 1.0):
        return None
    return min(done, key=lambda r: (r.duration_s or 0.0, r.index))


def recommend(
    runs: Sequence[ComparedRun], metric: str | None, goal: Goal, threshold_pct: float
) -> Recommendation:
    """Which run to keep, and why, in sentences built from the numbers in `runs` (ranked)."""
    if metric is None:
        reason = "no loss or other metric with a known direction is logged: choose a metric"
        return Recommendation(None, [reason], reason)
    ranked = [r for r in runs if r.rank is not None]
    if not ranked:
        reason = f"no run has a finite {metric}"
        return Recommendation(None, [reason], reason)
    w = ranked[0]
    word = "lowest" if goal == "min" else "highest"
    value = fmt.number(w.best_value)
    reasons: list[str] = []
    tied = [r for r in ranked[1:] if r.best_value == w.best_value]
    if len(runs) == 1:
        reasons.append(f"the only run compared; best {metric} {value}")
    elif len(ranked) == 1:
        reasons.append(f"the only run with a finite {metric} ({value})")
    elif tied:
        reasons.append(
            f"{word} {metric} ({value}), tied with {_names(tied)}; chosen as the earlier run"
        )
    else:
        runner = ranked[1]
        assert w.best_value is not None and runner.best_value is not None
        gap = abs(runner.best_value - w.best_value)
        if runner.best_value != 0:
            side = "below" if goal == "min" else "above"
            pct = 100.0 * gap / abs(runner.best_value)
            reasons.append(f"{word} {metric} ({value}), {pct:.1f}% {side} {runner.name}")
        else:
            reasons.append(f"{word} {metric} ({value}), {runner.name} has {runner.best_value}")
    if w.best_at != "—":
        if w.stopped_improving:
            reasons.append(f"best at {w.best_at}, then stopped improving")
        else:
            reasons.append(f"best at {w.best_at}, still improving at its last value")
    fastest = _fastest(runs)
    if fastest is not None:
        reasons.append(_fastest_text(fastest, w))
    models = list(dict.fromkeys(r.model for r in sorted(runs, key=lambda r: r.index)))
    if len(models) > 1:
        shown = ", ".join(m or "no model" for m in models)
        reasons.append(f"runs of different models ({shown}): compared anyway on {metric}")
    worse = [r for r in ranked if r.warning]
    if worse:
        reasons.append(f"more than {threshold_pct:g}% worse: {_names(worse)}")
    nan = [r for r in runs if r.rank is None and r.best_value is not None]
    missing = [r for r in runs if r.best_value is None]
    if nan:
        reasons.append(f"not ranked, {metric} is not finite: {_names(nan)}")
    if missing:
        reasons.append(f"not ranked, no {metric} logged: {_names(missing)}")
    unfinished = [r for r in runs if r.id != w.id and r.status not in ("finished", "running")]
    if unfinished:
        shown = ", ".join(f"{r.name} ({r.status})" for r in unfinished)
        reasons.append(f"stopped before finishing: {shown}")
    if w.status != "finished":
        if w.status == "running":
            reasons.append(f"{w.name} is still running: its best may change")
        else:
            reasons.append(f"{w.name} {w.status} before finishing")
    return Recommendation(w.id, reasons, f"{w.name}: " + "; ".join(reasons))


def _about(seconds: float) -> str:
    """A duration for a sentence, to the precision a person compares runs by: "45 s",
    "12 min", "2.1 h", "3.4 days" (the table keeps the exact "2h 6m 0s")."""
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 2 * 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def _fastest_text(fastest: ComparedRun, winner: ComparedRun) -> str:
    """ "run-3 was fastest (2.1 h vs 3.3 h), but ran 6 epochs, not 12": a run that trained
    for less is quicker for that reason, and the sentence says so."""
    took = _about(fastest.duration_s or 0.0)
    if fastest.id == winner.id:
        return f"also the fastest ({took})"
    text = f"{fastest.name} was fastest ({took}"
    if _finite(winner.duration_s):
        text += f" vs {_about(winner.duration_s or 0.0)}"
    text += ")"
    fe, we = fastest.total_epochs, winner.total_epochs
    if fe and we and fe != we:
        text += f", but ran {_epoch_text(fe)} epochs, not {_epoch_text(we)}"
    elif not (fe and we) and fastest.total_steps and winner.total_steps:
        if fastest.total_steps != winner.total_steps:
            text += f", but ran {fastest.total_steps} steps, not {winner.total_steps}"
    return text


# --- reading what the summaries cannot give -------------------------------------------------


def _epoch_at(store: Store, run: RunRecord, step: int | None) -> float | None:
    """The `epoch` metric at `step`: its value at the first epoch point at or after `step`
    (epoch is often logged only with each evaluation), else its last value.

    Read as small step ranges from `step` on (the store reads only the chunks they overlap),
    widened until a point turns up, so a run of a million steps costs a chunk, not the whole
    epoch series. The first window is twice the mean spacing of the epoch points."""
    s = run.summary.get(EPOCH_KEY)
    if s is None or step is None:
        return None
    if step > s.last_step:
        return float(s.last)
    span = 2 * max(1, math.ceil(s.last_step / max(1, s.count)))
    while True:
        end = min(step + span, s.last_step)
        vals = store.read_series(run.id, EPOCH_KEY, start=step, end=end).values
        vals = vals[np.isfinite(vals)]
        if vals.size:
            return float(vals[0])
        if end >= s.last_step:
            return None
        span *= 4


def _gpu_util(store: Store, run: RunRecord) -> float | None:
    """Mean utilisation over each GPU's series, then over GPUs (percent)."""
    means = []
    for key in sorted(k for k in run.summary if _GPU_UTIL.match(k)):
        vals = store.read_series(run.id, key, max_points=10_000).values
        vals = vals[np.isfinite(vals)]
        if vals.size:
            means.append(float(vals.mean()))
    return sum(means) / len(means) if means else None


def gather_facts(
    store: Store, run: RunRecord, metric: str | None, goal: Goal, now: float | None = None
) -> RunFacts:
    """Everything `build_comparison` needs for one run beyond its summary."""
    p = progress_for(store, run, now=now)
    step = _best_step(run, metric, goal) if metric and metric in run.summary else None
    return RunFacts(
        status=p.status,
        duration_s=p.elapsed_s,
        steps_per_s=p.steps_per_s,
        tokens_per_s=p.tokens_per_s,
        tokens=p.tokens,
        epoch_at_best=_epoch_at(store, run, step),
        gpu_util=_gpu_util(store, run),
    )


def _gather_all(
    store: Store, runs: Sequence[RunRecord], metric: str | None, goal: Goal, now: float | None
) -> dict[str, RunFacts]:
    """Facts of every run, one after another: a thread pool measured slower here (50 runs:
    75 vs 60 ms on 2 cores), the small reads hold the GIL more than they release it."""
    return {r.id: gather_facts(store, r, metric, goal, now) for r in runs}


def _unique(run_ids: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(i.strip() for i in run_ids if i.strip()))


def compare(
    store: Store,
    run_ids: Iterable[str],
    metric: str | None = None,
    threshold_pct: float = DEFAULT_THRESHOLD_PCT,
    *,
    trends: bool = True,
    now: float | None = None,
) -> Comparison:
    """Compare stored runs (issue #4): the one entry point behind the API, CLI and reports.

    Unknown ids raise RunNotFoundError naming the first one; `trends` adds the improvement
    trend of each model group in the selection over all its runs (archived ones included:
    archiving the losers must not make the history look better)."""
    from trainboard.analysis.trend import improvement_trend

    ids = _unique(run_ids)
    runs = [store.get_run(i) for i in ids]
    probe = build_comparison(runs, {}, metric, threshold_pct) if runs else None
    chosen = probe.metric if probe else metric
    goal = probe.goal if probe else "min"
    facts = _gather_all(store, runs, chosen, goal, now)
    result = build_comparison(runs, facts, chosen, threshold_pct)
    if trends and chosen is not None:
        for model in result.models:
            group = (
                store.list_runs(RunQuery(model=model, archived=None))
                if model is not None
                else [r for r in runs if r.model is None]
            )
            result.trends.append((model, improvement_trend(group, chosen)))
    return result


def runs_worse_than(
    runs: Sequence[RunRecord],
    threshold_pct: float,
    model: str | None = None,
    metric: str | None = None,
) -> list[tuple[RunRecord, RunRank]]:
    """Runs more than `threshold_pct` percent worse than the best of their model group (the
    losers `trainboard archive --worse-than` clears away), worst first. With `model`, only
    that group. Runs without a value of the metric are never included: no evidence, and
    neither is a run a person chose (a choice is not undone by a sweep)."""
    if not math.isfinite(threshold_pct) or threshold_pct < 0:
        raise UsageError(f"--worse-than must be a percentage >= 0, got {threshold_pct!r}")
    pool = [r for r in runs if model is None or r.model == model]
    ranks = rank_in_groups(pool, metric)
    out = [
        (r, ranks[r.id])
        for r in pool
        if not r.chosen
        and ranks[r.id].delta_pct is not None
        and (ranks[r.id].delta_pct or 0.0) > threshold_pct
    ]
    out.sort(key=lambda p: (-(p[1].delta_pct or 0.0), p[0].created_at, p[0].id))
    return out
