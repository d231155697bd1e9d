"""The side-by-side comparison and the recommendation, against numbers worked out by hand."""

from __future__ import annotations

import math
from typing import Any

import pytest

from trainboard.analysis.compare import (
    RunFacts,
    best_at_text,
    build_comparison,
    default_metric,
    total_epochs,
    train_loss_key,
)
from trainboard.errors import UsageError
from trainboard.store.records import MetricSummary, RunRecord, Status


def s(lo: float, lo_step: int = 20, last: float | None = None, last_step: int = 30,
      hi: float | None = None) -> MetricSummary:  # fmt: skip
    hi = lo if hi is None else hi
    return MetricSummary(
        count=3, last=lo if last is None else last, last_step=last_step, min=lo,
        min_step=lo_step, max=hi, max_step=lo_step, first_time=0.0, last_time=1.0,
    )  # fmt: skip


def run(
    name: str,
    created: float,
    model: str | None = "qwen",
    config: dict[str, Any] | None = None,
    **summary: MetricSummary,
) -> RunRecord:
    return RunRecord(
        id=f"id-{name}", project="p", name=name, model=model, created_at=created,
        config=config or {}, status="finished",
        summary={k.replace("__", "/"): v for k, v in summary.items()},
    )  # fmt: skip


def facts(status: Status = "finished", **kw: Any) -> RunFacts:
    return RunFacts(status=status, **kw)


def issue_example() -> tuple[list[RunRecord], dict[str, RunFacts]]:
    """The issue's example: run-1 1.0, run-2 1.352 (+35.2 %), run-3 1.5 (+50 %) eval loss."""
    runs = [
        run("run-1", 1.0, config={"lr": 3e-5, "num_epochs": 12},
            eval__loss=s(1.0, lo_step=1100, last=1.05, last_step=1200),
            train__loss=s(0.6, last=0.7)),
        run("run-2", 2.0, config={"lr": 1e-4, "num_epochs": 12},
            eval__loss=s(1.352, lo_step=1200, last=1.352, last_step=1200),
            train__loss=s(0.5, last=0.55)),
        run("run-3", 3.0, config={"lr": 3e-4, "num_epochs": 12},
            eval__loss=s(1.5, lo_step=600, last=1.6, last_step=1200),
            train__loss=s(0.9, last=0.95)),
    ]  # fmt: skip
    f = {
        "id-run-1": facts(duration_s=10_000.0, steps_per_s=0.12, tokens_per_s=900.0,
                          tokens=9e6, epoch_at_best=11.0),
        "id-run-2": facts(duration_s=9_000.0, steps_per_s=0.13, tokens_per_s=1000.0,
                          tokens=9e6, epoch_at_best=12.0),
        "id-run-3": facts(duration_s=7_560.0, steps_per_s=0.16, tokens_per_s=1200.0,
                          tokens=9e6, epoch_at_best=6.0),
    }  # fmt: skip
    return runs, f


def test_issue_example_by_hand() -> None:
    runs, f = issue_example()
    c = build_comparison(runs, f)
    assert c.metric == "eval/loss" and c.goal == "min" and c.best == "id-run-1"
    assert [r.name for r in c.runs] == ["run-1", "run-2", "run-3"]
    r1, r2, r3 = c.runs
    assert (r1.rank, r1.delta_pct, r1.trophy, r1.warning) == (1, 0.0, True, False)
    # (1.352 - 1.0) / 1.0 = 35.2 %, (1.5 - 1.0) / 1.0 = 50 %: both over 25 %
    assert math.isclose(r2.delta_pct or 0, 35.2) and r2.warning and not r2.trophy
    assert math.isclose(r3.delta_pct or 0, 50.0) and r3.warning
    assert r1.best_step == 1100 and r1.best_at == "epoch 11 of 12" and r1.stopped_improving
    assert r2.best_at == "epoch 12 of 12" and r2.stopped_improving is False
    assert r1.final_train_loss == 0.7
    assert math.isclose(r1.final_perplexity or 0, math.exp(1.05))  # exp(final eval loss)
    # one base, the best run: 1.352 is 35.2 % worse than 1.0, as the table's "vs best" says
    # fastest finished run: run-3, 7,560 s = 2.1 h (run-1 10,000 s = 2.8 h), both 12 epochs
    assert c.recommendation.run == "id-run-1"
    assert c.recommendation.reasons == [
        "lowest eval/loss (1.0000); runner-up run-2 is +35.2% vs best",
        "best at epoch 11 of 12, then stopped improving",
        "run-3 was fastest (2h 6m 0s vs 2h 46m 40s)",
        "more than 25% worse: run-2, run-3",
    ]
    assert c.recommendation.text.startswith(
        "run-1: lowest eval/loss (1.0000); runner-up run-2 is +35.2% vs best;"
    )
    rows = {row.key: row for row in c.rows}
    assert rows["best_value"].best == ("id-run-1",)
    assert rows["final_train_loss"].best == ("id-run-2",)  # 0.55
    assert rows["final_perplexity"].best == ("id-run-1",)  # exp(1.05) < exp(1.352) < exp(1.6)
    assert rows["duration_s"].best == ("id-run-3",)
    assert rows["steps_per_s"].best == ("id-run-3",) and rows["tokens_per_s"].best == ("id-run-3",)
    assert rows["tokens"].best == () and rows["status"].best == ()
    assert "gpu_util" not in rows  # not logged by any run
    assert c.config_diff.params == {"lr": {"id-run-1": 3e-5, "id-run-2": 1e-4, "id-run-3": 3e-4}}
    assert c.config_diff.same == 1


def test_threshold_is_adjustable() -> None:
    runs, f = issue_example()
    c = build_comparison(runs, f, threshold_pct=40)
    assert [r.warning for r in c.runs] == [False, False, True]
    assert "more than 40% worse: run-3" in c.recommendation.reasons
    with pytest.raises(UsageError, match=r"threshold must be a percentage >= 0, got -1"):
        build_comparison(runs, f, threshold_pct=-1)


def test_json_contract() -> None:
    runs, f = issue_example()
    j = build_comparison(runs, f).to_json()
    assert {"metric", "goal", "best", "runs", "recommendation", "config_diff"} <= set(j)
    assert j["best"] == "id-run-1" and j["goal"] == "min"
    first = j["runs"][0]
    assert {"id", "name", "best_value", "best_step", "delta_pct", "duration_s"} <= set(first)
    assert first["duration_s"] == 10_000.0 and first["delta_pct"] == 0.0
    assert set(j["recommendation"]) >= {"run", "reasons"}


def test_tie_goes_to_the_earlier_run_and_both_are_highlighted() -> None:
    # a (created 2) and b (created 1) both reach 2.0; c 2.5 -> +25 %, not over 25 %
    runs = [run("a", 2, loss=s(2.0)), run("b", 1, loss=s(2.0)), run("c", 3, loss=s(2.5))]
    c = build_comparison(runs, {})
    assert c.best == "id-b" and [r.name for r in c.runs] == ["b", "a", "c"]
    assert c.runs[1].delta_pct == 0.0 and not c.runs[1].trophy
    assert c.runs[2].delta_pct == 25.0 and not c.runs[2].warning
    assert {row.key: row for row in c.rows}["best_value"].best == ("id-b", "id-a")
    assert (
        c.recommendation.reasons[0]
        == "lowest loss (2.0000), tied with a; chosen as the earlier run"
    )
    # index keeps the selection order (the colour), whatever the rank
    assert [r.index for r in c.runs] == [1, 0, 2]


def test_missing_metric_and_nan_are_listed_last_never_best() -> None:
    # x has eval loss 3.0; y only train loss; z's eval loss is all NaN; w 4.0 (+33.3 %)
    runs = [
        run("y", 1, train__loss=s(0.1)),
        run("z", 2, eval__loss=s(math.nan)),
        run("x", 3, eval__loss=s(3.0)),
        run("w", 4, eval__loss=s(4.0)),
    ]
    c = build_comparison(runs, {})
    assert c.metric == "eval/loss" and c.best == "id-x"
    assert [r.name for r in c.runs] == ["x", "w", "y", "z"]
    x, w, y, z = c.runs
    assert math.isclose(w.delta_pct or 0, 100 / 3) and w.warning
    assert (y.rank, y.delta_pct, y.best_value, y.trophy) == (None, None, None, False)
    assert z.rank is None and z.delta_pct is None and math.isnan(z.best_value or 0)
    assert c.to_json()["runs"][3]["best_value"] == "NaN"
    assert c.recommendation.reasons == [
        "lowest eval/loss (3.0000); runner-up w is +33.3% vs best",
        "best at step 20, then stopped improving",
        "more than 25% worse: w",
        "not ranked, eval/loss is not finite: z",
        "not ranked, no eval/loss logged: y",
    ]


def test_single_run() -> None:
    c = build_comparison([run("solo", 1, loss=s(3.0, last_step=20))], {})
    assert c.best == "id-solo" and c.runs[0].delta_pct == 0.0 and c.runs[0].trophy
    assert c.recommendation.reasons == [
        "the only run compared; best loss 3.0000",
        "best at step 20, still improving at its last value",
    ]
    assert c.config_diff.note == "one run: nothing to compare"


def test_different_models_compared_anyway_and_said() -> None:
    runs = [run("q", 1, "qwen", loss=s(2.0)), run("l", 2, "llama", loss=s(1.0)),
            run("n", 3, None, loss=s(1.5))]  # fmt: skip
    c = build_comparison(runs, {})
    assert c.best == "id-l" and c.models == ["qwen", "llama", None]
    assert "runs of different models (qwen, llama, no model): compared anyway on loss" in (
        c.recommendation.reasons
    )


def test_max_metric_and_winner_still_running() -> None:
    # eval/acc: 0.8 vs 0.6 -> 25 % worse than the best
    runs = [run("a", 1, eval__acc=s(0.5, hi=0.6)), run("b", 2, eval__acc=s(0.7, hi=0.8))]
    c = build_comparison(runs, {"id-b": facts("running")}, metric="eval/acc")
    assert c.goal == "max" and c.best == "id-b" and c.runs[1].delta_pct == 25.0
    assert c.recommendation.reasons[0] == "highest eval/acc (0.8000); runner-up a is +25.0% vs best"
    assert c.recommendation.reasons[-1] == "b is still running: its best may change"
    assert c.runs[0].final_perplexity is None  # not a loss, no perplexity logged


def test_no_metric_anywhere_and_unknown_metric() -> None:
    runs = [run("a", 1, lr=s(0.1)), run("b", 2, lr=s(0.2))]
    c = build_comparison(runs, {})
    assert c.metric is None and c.best is None and c.recommendation.run is None
    assert c.recommendation.reasons == [
        "no loss or other metric with a known direction is logged: choose a metric"
    ]
    with pytest.raises(UsageError) as e:
        build_comparison(runs, {}, metric="eval/loss")
    assert str(e.value) == (
        "compare: metric 'eval/loss' is not logged by any of the runs (logged: lr)"
        "; a role works too: eval_loss, perplexity, quality, train_loss"
    )
    with pytest.raises(UsageError, match="expected at least one run id, got none"):
        build_comparison([], {})
    # all values NaN: a metric, but nobody wins
    c = build_comparison([run("n", 1, loss=s(math.nan))], {})
    assert c.best is None and c.recommendation.reasons == ["no run has a finite loss"]


def test_gpu_row_and_fastest_only_among_finished() -> None:
    # k crashed after 10 s: not "fastest"; of the finished, f (100 s) beats g (200 s)
    runs = [run("f", 1, loss=s(1.0)), run("g", 2, loss=s(1.1)), run("k", 3, loss=s(1.2))]
    fx = {
        "id-f": facts(duration_s=100.0, gpu_util=80.0),
        "id-g": facts(duration_s=200.0, gpu_util=90.0),
        "id-k": facts("crashed", duration_s=10.0),
    }
    c = build_comparison(runs, fx)
    rows = {row.key: row for row in c.rows}
    assert rows["duration_s"].best == ("id-f",) and rows["gpu_util"].best == ("id-g",)
    assert "also the fastest (1m 40s)" in c.recommendation.reasons


def test_helpers() -> None:
    assert default_metric(["eval/acc", "lr"]) == "eval/acc"
    assert default_metric(["sys/gpu0/util", "lr"]) is None
    assert train_loss_key(["eval/loss", "train/lm_loss"]) == "train/lm_loss"
    assert train_loss_key(["eval/loss"]) is None
    assert best_at_text(1100, 10.5, 12.0, 1200) == "epoch 10.5 of 12"
    assert best_at_text(1100, None, None, 1200) == "step 1100 of 1200"
    assert best_at_text(None, None, None, None) == "—"
    assert total_epochs(run("a", 1, config={"trainer": {"max_epochs": 3}})) == 3.0
    assert total_epochs(run("a", 1, epoch=s(0.0, hi=4.5))) == 5.0
    assert total_epochs(run("a", 1)) is None


def test_fastest_is_said_only_when_it_differs() -> None:
    # 100 s vs 104 s: 4 % apart, within the 5 % noise band -> no "fastest" sentence
    runs = [run("f", 1, loss=s(1.0)), run("g", 2, loss=s(1.1))]
    fx = {"id-f": facts(duration_s=104.0), "id-g": facts(duration_s=100.0)}
    assert not any("fastest" in r for r in build_comparison(runs, fx).recommendation.reasons)


def test_rows_highlight_what_reads_best() -> None:
    # durations 0.2 s, 0.4 s, 0.7 s all read "0s": no fastest is highlighted
    runs, f = issue_example()
    for rid, took in (("id-run-1", 0.2), ("id-run-2", 0.4), ("id-run-3", 0.7)):
        f[rid].duration_s = took
    rows = {row.key: row for row in build_comparison(runs, f).rows}
    assert rows["duration_s"].best == ()
    # 100.2 s and 100.9 s both read "1m 40s", 200 s does not: the two are highlighted
    for rid, took in (("id-run-1", 100.9), ("id-run-2", 100.2), ("id-run-3", 200.0)):
        f[rid].duration_s = took
    rows = {row.key: row for row in build_comparison(runs, f).rows}
    assert rows["duration_s"].best == ("id-run-1", "id-run-2")
    assert rows["final_train_loss"].best == ("id-run-2",)  # 0.55 vs 0.7, 0.95


def test_recommendation_reads_like_an_expert() -> None:
    # run-3 trained 6 epochs, not 12, so its speed is qualified; run-4 was killed
    runs, f = issue_example()
    runs[2].config["num_epochs"] = 6
    runs.append(run("run-4", 4.0, config={"lr": 1e-3, "num_epochs": 12},
                    eval__loss=s(1.8, lo_step=300, last=1.9, last_step=700)))  # fmt: skip
    f["id-run-1"].duration_s = 12_000.0  # 3.3 h
    f["id-run-4"] = facts("killed", duration_s=7_125.0)
    c = build_comparison(runs, f)
    assert c.recommendation.text == (
        "run-1: lowest eval/loss (1.0000); runner-up run-2 is +35.2% vs best; "
        "best at epoch 11 of 12, then stopped improving; "
        "run-3 was fastest (2h 6m 0s vs 3h 20m 0s), but ran 6 epochs, not 12; "
        "more than 25% worse: run-2, run-3, run-4; "
        "stopped before finishing: run-4 (killed)"
    )


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(45.0, "45s"), (119.4, "1m 59s"), (720.0, "12m 0s"), (7_560.0, "2h 6m 0s"),
     (47 * 3600.0, "1d 23h 0m"), (34 * 86400.0, "34d 0h 0m")],
)  # fmt: skip
def test_durations_in_sentences_read_as_in_the_table(seconds: float, text: str) -> None:
    runs, f = issue_example()
    f["id-run-3"].duration_s = seconds
    f["id-run-1"].duration_s = f["id-run-2"].duration_s = seconds * 3
    reasons = build_comparison(runs, f).recommendation.reasons
    assert f"run-3 was fastest ({text} vs " in "; ".join(reasons)
