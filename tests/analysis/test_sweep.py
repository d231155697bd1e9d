"""analysis.sweep: parameters that were searched, the objective, the best finished trial."""

from __future__ import annotations

import math

import pytest

from trainboard.analysis.sweep import build_sweep, objective_metric
from trainboard.errors import UsageError
from trainboard.store.records import MetricSummary, RunRecord


def _run(rid: str, status: str, config: dict[str, object], values: list[float]) -> RunRecord:
    r = RunRecord(id=rid, project="s", name=f"trial-{rid}", status=status, config=config,  # type: ignore[arg-type]
                  created_at=float(int(rid, 16)), goals={"value": "quality:max"})  # fmt: skip
    finite = [v for v in values if math.isfinite(v)] or [math.nan]
    r.summary["value"] = MetricSummary(
        count=len(values), last=values[-1], last_step=len(values) - 1,
        min=min(finite), min_step=0, max=max(finite), max_step=len(values) - 1,
        first_time=0.0, last_time=1.0,
    )  # fmt: skip
    r.summary["train/loss"] = MetricSummary(1, 0.5, 0, 0.5, 0, 0.5, 0, 0.0, 1.0)
    return r


def test_sweep_params_objective_and_best_finished_trial() -> None:
    runs = [
        _run(
            "000000000001", "finished", {"lr": 1e-4, "opt": {"name": "adam"}, "seed": 1}, [0.5, 0.7]
        ),
        _run("000000000002", "pruned", {"lr": 1e-2, "opt": {"name": "sgd"}, "seed": 1}, [0.9]),
        _run(
            "000000000003", "finished", {"lr": 3e-3, "opt": {"name": "adam"}, "seed": 1}, [0.6, 0.8]
        ),
        _run("000000000004", "failed", {"lr": 1.0, "opt": {"name": "sgd"}, "seed": 1}, [0.95]),
    ]
    s = build_sweep(runs, now=2.0)
    assert (s.metric, s.goal, s.value) == ("value", "max", "last")
    assert [(p.name, p.kind, p.log, p.values) for p in s.params] == [
        ("lr", "number", True, []),
        ("opt.name", "category", False, ["adam", "sgd"]),
    ]  # seed is the same everywhere: not searched
    assert [r.objective for r in s.runs] == [0.7, 0.9, 0.8, None]  # a failed run has no result
    assert s.best == "000000000003"  # the pruned trial's higher report does not count
    assert s.counts == {"finished": 2, "pruned": 1, "failed": 1}
    assert s.metrics == ["train/loss"] and s.runs[0].params == {"lr": 1e-4, "opt.name": "adam"}
    best = build_sweep(runs, value="best", params=["seed"], now=2.0)
    assert [p.name for p in best.params] == ["seed"] and best.best == "000000000003"
    assert objective_metric(runs) == "value"
    with pytest.raises(UsageError, match="sweep: metric 'nope' is not logged"):
        build_sweep(runs, metric="nope")
    with pytest.raises(UsageError, match="sweep: value must be 'last' or 'best', got 'mean'"):
        build_sweep(runs, value="mean")
