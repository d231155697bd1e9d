"""Which run to keep, and why, in sentences built from the comparison's numbers.

Every number in a sentence is one the table shows, in the same text: a delta is the table's
"vs best" delta (the one base: the best run), a duration the table's duration.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from trainboard.analysis import format as fmt
from trainboard.analysis.table import ComparedRun, epoch_text
from trainboard.store.records import Goal

__all__ = ["Recommendation", "recommend"]


def _finite(v: float | None) -> bool:
    return v is not None and math.isfinite(v)


@dataclass
class Recommendation:
    run: str | None
    reasons: list[str]
    text: str

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


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
        if runner.delta_pct is not None:  # the table's delta: against the best run
            gap = fmt.delta_pct(runner.delta_pct)
            reasons.append(f"{word} {metric} ({value}); runner-up {runner.name} is {gap} vs best")
        else:
            shown = fmt.number(runner.best_value)
            reasons.append(f"{word} {metric} ({value}), {runner.name} has {shown}")
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
    live = [r for r in runs if r.running and r.id != w.id]
    if live:
        shown = ", ".join(f"{r.name} ({r.so_far})" for r in live)
        reasons.append(f"still running, compared on what they logged so far: {shown}")
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


def _fastest_text(fastest: ComparedRun, winner: ComparedRun) -> str:
    """ "run-3 was fastest (2h 6m 0s vs 3h 18m 0s), but ran 6 epochs, not 12": a run that
    trained for less is quicker for that reason, and the sentence says so. Durations read as
    in the table (format.duration), so a sentence and a cell never disagree."""
    took = fmt.duration(fastest.duration_s)
    if fastest.id == winner.id:
        return f"also the fastest ({took})"
    text = f"{fastest.name} was fastest ({took}"
    if _finite(winner.duration_s):
        text += f" vs {fmt.duration(winner.duration_s)}"
    text += ")"
    fe, we = fastest.total_epochs, winner.total_epochs
    if fe and we and fe != we:
        text += f", but ran {epoch_text(fe)} epochs, not {epoch_text(we)}"
    elif not (fe and we) and fastest.total_steps and winner.total_steps:
        if fastest.total_steps != winner.total_steps:
            text += f", but ran {fastest.total_steps} steps, not {winner.total_steps}"
    return text
