"""Ranking runs within model groups: numbers worked out by hand in each test's comment."""

from __future__ import annotations

import math

from trainboard.analysis.compare import (
    RunRank,
    deciding_metric,
    delta_pct,
    rank_in_groups,
)
from trainboard.store.records import Goal, MetricSummary, RunRecord


def summ(lo: float, hi: float | None = None, last: float | None = None) -> MetricSummary:
    hi = lo if hi is None else hi
    return MetricSummary(
        count=3,
        last=lo if last is None else last,
        last_step=30,
        min=lo,
        min_step=20,
        max=hi,
        max_step=10,
        first_time=1000.0,
        last_time=1030.0,
    )


def run(
    rid: str,
    model: str | None = "m",
    created: float = 0.0,
    goals: dict[str, Goal] | None = None,
    **metrics: MetricSummary,
) -> RunRecord:
    summary = {k.replace("__", "/"): v for k, v in metrics.items()}
    return RunRecord(
        id=rid, project="p", name=rid, model=model, created_at=created,
        goals=goals or {}, summary=summary,
    )  # fmt: skip


def test_deciding_metric_prefers_eval_loss_then_train_loss() -> None:
    assert deciding_metric(["train/loss", "eval/loss", "lr"]) == "eval/loss"
    assert deciding_metric(["train/loss", "val_loss"]) == "val_loss"
    assert deciding_metric(["loss", "validation/loss"]) == "validation/loss"
    # an eval key ending in loss that is not one of the usual names
    assert deciding_metric(["train/loss", "eval/lm_loss"]) == "eval/lm_loss"
    assert deciding_metric(["loss", "lr", "grad_norm"]) == "loss"
    assert deciding_metric(["train/loss", "loss"]) == "train/loss"
    assert deciding_metric(["train/lm_loss", "lr"]) == "train/lm_loss"
    # no loss: an eval quality metric decides (the same rule as the comparison, roles.py)
    assert deciding_metric(["lr", "eval/accuracy"]) == "eval/accuracy"
    assert deciding_metric(["lr", "grad_norm"]) is None
    assert deciding_metric([]) is None


def test_delta_pct_both_directions() -> None:
    # min: (2.6 - 2.0) / 2.0 = 30 %; max: (0.8 - 0.6) / 0.8 = 25 %
    assert math.isclose(delta_pct(2.6, 2.0, "min") or 0, 30.0)
    assert math.isclose(delta_pct(0.6, 0.8, "max") or 0, 25.0)
    assert delta_pct(2.0, 2.0, "min") == 0.0
    # negative best (e.g. a log-likelihood to maximise): |best| in the denominator
    # goal max, best -1.0, value -1.5 -> (-1.0 - (-1.5)) / |-1.0| = 50 % worse
    assert math.isclose(delta_pct(-1.5, -1.0, "max") or 0, 50.0)
    assert delta_pct(None, 2.0, "min") is None
    assert delta_pct(1.0, 0.0, "min") is None  # no relative distance to 0
    assert delta_pct(0.0, 0.0, "min") == 0.0


def test_rank_groups_by_model_and_marks_best() -> None:
    # model a: eval/loss 2.0, 2.5, 3.0 -> best a1; deltas 0, 25 %, 50 %
    # model b: only train/loss 1.0, 1.1 -> best b1; delta of b2 = 10 %
    runs = [
        run("a1", "a", eval__loss=summ(2.0), train__loss=summ(1.0)),
        run("a2", "a", eval__loss=summ(2.5), train__loss=summ(0.5)),
        run("a3", "a", eval__loss=summ(3.0)),
        run("b1", "b", train__loss=summ(1.0)),
        run("b2", "b", train__loss=summ(1.1)),
    ]
    r = rank_in_groups(runs)
    assert r["a1"] == RunRank(True, 0.0, "eval/loss", 2.0, "a1", "min", "eval loss")
    assert r["a2"].group_best is False and math.isclose(r["a2"].delta_pct or 0, 25.0)
    assert math.isclose(r["a3"].delta_pct or 0, 50.0)
    assert r["b1"].group_best and r["b1"].metric == "train/loss"
    assert math.isclose(r["b2"].delta_pct or 0, 10.0)
    assert r["b2"].best_run == "b1"


def test_rank_none_model_is_its_own_group() -> None:
    runs = [run("x", None, loss=summ(4.0)), run("y", "m", loss=summ(8.0))]
    r = rank_in_groups(runs)
    assert r["x"].group_best and r["y"].group_best


def test_rank_tie_goes_to_earlier_run() -> None:
    # both reach 1.5: t2 was created first, so it is best; t1 is 0 % away
    runs = [run("t1", created=200.0, loss=summ(1.5)), run("t2", created=100.0, loss=summ(1.5))]
    r = rank_in_groups(runs)
    assert r["t2"].group_best and not r["t1"].group_best
    assert r["t1"].delta_pct == 0.0


def test_rank_run_without_metric_and_nan() -> None:
    # g1 has eval loss 2.0; g2 logged only train loss (no eval value); g3's eval loss is NaN.
    # The group decides on eval/loss; g2 and g3 have no value and no delta; g1 is best.
    runs = [
        run("g1", eval__loss=summ(2.0), train__loss=summ(1.0)),
        run("g2", train__loss=summ(0.1)),
        run("g3", eval__loss=summ(math.nan)),
    ]
    r = rank_in_groups(runs)
    assert r["g1"].group_best and r["g1"].metric == "eval/loss"
    assert r["g2"] == RunRank(
        False, None, None, None, "g1", "min", "eval loss", "no eval loss logged"
    )  # it has no eval loss, and says so
    assert r["g3"].group_best is False and r["g3"].delta_pct is None


def test_rank_all_nan_has_no_best() -> None:
    runs = [run("n1", loss=summ(math.nan)), run("n2", loss=summ(math.inf))]
    r = rank_in_groups(runs)
    assert not r["n1"].group_best and not r["n2"].group_best
    assert r["n1"].best_run is None and r["n1"].delta_pct is None


def test_rank_single_run_and_no_metric() -> None:
    assert rank_in_groups([run("s", loss=summ(3.0))])["s"] == RunRank(
        True, 0.0, "loss", 3.0, "s", "min", "loss"
    )
    assert rank_in_groups([run("q", lr=summ(0.1))])["q"] == RunRank(False, None, None, None)


def test_rank_explicit_max_metric_and_defined_goal() -> None:
    # accuracy: maximise; best 0.80, other 0.60 -> 25 % worse
    runs = [run("c1", eval__acc=summ(0.5, 0.6)), run("c2", eval__acc=summ(0.7, 0.8))]
    r = rank_in_groups(runs, metric="eval/acc")
    assert r["c2"].group_best and r["c2"].goal == "max"
    assert math.isclose(r["c1"].delta_pct or 0, 25.0)
    # define_metric(goal="max") on a name that says nothing: "custom", higher is better;
    # 3.0 vs 4.0 -> 25 % worse
    runs = [
        run("d1", goals={"custom": "max"}, custom=summ(1.0, 3.0)),
        run("d2", goals={"custom": "max"}, custom=summ(0.5, 4.0)),
    ]
    r = rank_in_groups(runs, metric="custom")
    assert r["d2"].group_best and math.isclose(r["d1"].delta_pct or 0, 25.0)


def test_rank_ten_thousand_runs_reads_only_summaries() -> None:
    runs = [
        run(f"r{i}", f"m{i % 10}", created=i, loss=summ(1.0 + i / 10_000)) for i in range(10_000)
    ]
    r = rank_in_groups(runs)
    assert len(r) == 10_000
    assert sum(x.group_best for x in r.values()) == 10
    assert r["r0"].group_best and r["r10"].delta_pct is not None
