"""A run still running is compared "so far": never called worse, never offered for archive or
delete until it ends, and left out of parameter effects and of `archive --worse-than`."""

from __future__ import annotations

import time

from trainboard.analysis.compare import (
    RunFacts,
    build_comparison,
    choose_metric,
    runs_worse_than,
)
from trainboard.analysis.table import delta_text
from trainboard.store.records import MetricSummary, RunRecord


def _s(lo: float, last_step: int) -> MetricSummary:
    return MetricSummary(count=3, last=lo, last_step=last_step, min=lo, min_step=last_step,
                         max=lo + 1, max_step=1, first_time=0.0, last_time=1.0)  # fmt: skip


def _run(name: str, best: float, created: float, status: str = "finished", step: int = 2000,
         lr: float = 1e-4) -> RunRecord:  # fmt: skip
    return RunRecord(
        id=f"id-{name}", project="p", name=name, model="m", created_at=created,
        status=status, total_steps=2000, last_step=step, heartbeat_at=time.time(),  # type: ignore[arg-type]
        config={"lr": lr}, summary={"eval/loss": _s(best, step)},
    )  # fmt: skip


def test_a_running_run_is_compared_so_far_and_never_called_worse() -> None:
    done = _run("done", 1.0, 1.0)
    live = _run("live", 1.929, 2.0, status="running", step=140)
    facts = {"id-done": RunFacts("finished"), "id-live": RunFacts("running")}
    c = build_comparison([done, live], facts)
    d, lv = c.runs
    assert d.name == "done" and d.can_archive and d.so_far is None
    assert lv.delta_pct is not None and round(lv.delta_pct, 1) == 92.9
    assert lv.warning is False and lv.can_archive is False
    assert lv.so_far == "so far, at step 140 of 2,000"
    assert lv.archive_note == "still running: archive or delete it once it has ended"
    assert delta_text(lv) == "+92.9% so far"
    assert lv.to_json()["text"]["delta_pct"] == "+92.9% so far"
    reasons = c.recommendation.reasons
    assert not any("worse" in r for r in reasons)
    assert (
        "still running, compared on what they logged so far: live (so far, at step 140 of 2,000)"
        in reasons
    )


def test_archive_worse_than_leaves_running_runs_alone() -> None:
    runs = [_run("done", 1.0, 1.0), _run("bad", 3.0, 2.0), _run("live", 3.0, 3.0, "running", 10)]
    worse = runs_worse_than(runs, 25.0)
    assert [r.name for r, _ in worse] == ["bad"]


def test_parameter_effects_rest_on_ended_runs_only() -> None:
    # five finished runs over five lrs: an effect; a sixth, running, changes nothing
    runs = [_run(f"r{i}", 1.0 + i / 10, float(i), lr=10.0**-i) for i in range(1, 6)]
    facts = {r.id: RunFacts("finished") for r in runs}
    c = build_comparison(runs, facts)
    assert [a.key for a in c.config_diff.associations] == ["lr"]
    assert c.config_diff.associations[0].n == 5
    runs[4] = _run("r5", 1.5, 5.0, status="running", step=100, lr=1e-5)
    facts["id-r5"] = RunFacts("running")
    c = build_comparison(runs, facts)
    assert c.config_diff.associations == []  # 4 ended runs: not enough


def test_choose_metric_reads_summaries_only() -> None:
    runs = [_run("a", 1.0, 1.0)]
    # the measure's id (the comparison's `metric` is the key itself when every run used one)
    assert choose_metric(runs) == ("eval_loss", "min")
    assert choose_metric(runs, "eval/loss") == ("eval_loss", "min")
