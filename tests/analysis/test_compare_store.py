"""compare() over a real store (SQLite and PostgreSQL): the point reads a summary cannot give."""

from __future__ import annotations

import math

import pytest

from trainboard.analysis.compare import compare, runs_worse_than
from trainboard.errors import RunNotFoundError
from trainboard.store.base import Store
from trainboard.store.queries import RunQuery
from trainboard.store.records import PointBatch, RunRecord


def add_run(
    store: Store,
    rid: str,
    eval_losses: list[float],
    model: str | None = "m",
    created: float = 1000.0,
    gpu: dict[str, list[float]] | None = None,
) -> None:
    store.create_run(
        RunRecord(
            id=rid, project="p", name=f"run-{rid[:2]}", model=model, status="finished",
            config={"num_epochs": 3, "lr": 1e-3 if rid[0] == "a" else 3e-3},
            created_at=created, finished_at=created + 100.0, total_steps=30,
        )
    )  # fmt: skip
    steps = list(range(1, 31))
    times = [created + 3.0 * s for s in steps]
    batches = {
        "train/loss": PointBatch.of(steps, times, [3.0 - s / 30 for s in steps]),
        "tokens": PointBatch.of(steps, times, [1000.0 * s for s in steps]),
        # epoch logged every 10 steps: 1, 2, 3
        "epoch": PointBatch.of([10, 20, 30], [times[9], times[19], times[29]], [1.0, 2.0, 3.0]),
        "eval/loss": PointBatch.of([10, 20, 30], [times[9], times[19], times[29]], eval_losses),
    }
    for key, vals in (gpu or {}).items():
        batches[key] = PointBatch.of(list(range(len(vals))), times[: len(vals)], vals)
    store.write_points(rid, batches)


def test_compare_reads_epoch_gpu_and_progress(store: Store) -> None:
    # a: eval 2.0, 1.5, 1.7 -> best 1.5 at step 20 = epoch 2 of 3, then worse
    # b: eval 2.0, 1.9, 1.8 -> best 1.8 at step 30 = epoch 3; (1.8 - 1.5) / 1.5 = 20 %
    # a's GPUs: gpu0 mean (50 + 70) / 2 = 60, gpu1 90 -> 75 %
    add_run(store, "aaaaaaaaaaaa", [2.0, 1.5, 1.7],
            gpu={"sys/gpu0/util": [50.0, 70.0], "sys/gpu1/util": [90.0]})  # fmt: skip
    add_run(store, "bbbbbbbbbbbb", [2.0, 1.9, 1.8], created=2000.0)
    c = compare(store, ["bbbbbbbbbbbb", "aaaaaaaaaaaa", "aaaaaaaaaaaa"])
    assert c.metric == "eval/loss" and c.best == "aaaaaaaaaaaa"
    a, b = c.runs
    assert (a.index, b.index) == (1, 0)  # selection order: b was picked first
    assert a.best_step == 20 and a.best_epoch == 2.0 and a.best_at == "epoch 2 of 3"
    assert b.best_at == "epoch 3 of 3" and b.stopped_improving is False
    assert a.gpu_util == 75.0 and b.gpu_util is None
    assert math.isclose(b.delta_pct or 0, 20.0) and not b.warning
    assert a.duration_s == 100.0 and a.tokens == 30_000.0
    # finished runs: whole-run averages, 30 steps (30,000 tokens) over the 100 s they took
    assert a.steps_per_s == 30 / 100 and a.tokens_per_s == 30_000 / 100
    assert a.final_train_loss == 2.0
    assert c.recommendation.reasons[:2] == [
        "lowest eval/loss (1.5000); runner-up run-bb is +20.0% vs best",
        "best at epoch 2 of 3, then stopped improving",
    ]
    assert c.config_diff.params == {"lr": {"bbbbbbbbbbbb": 3e-3, "aaaaaaaaaaaa": 1e-3}}
    (model, trend), = c.trends  # fmt: skip
    assert model == ("m", None) and [p.id for p in trend.points] == ["aaaaaaaaaaaa", "bbbbbbbbbbbb"]
    assert trend.verdict == "not enough runs"
    j = c.to_json()
    assert j["runs"][0]["best_epoch"] == 2.0 and j["trends"][0]["model"] == "m"


def test_compare_unknown_run_names_it(store: Store) -> None:
    add_run(store, "aaaaaaaaaaaa", [2.0, 1.5, 1.7])
    with pytest.raises(RunNotFoundError) as e:
        compare(store, ["aaaaaaaaaaaa", "nope"])
    assert str(e.value) == "no run with id 'nope'" and e.value.status == 404


def test_trend_counts_archived_runs(store: Store) -> None:
    # three runs of m in creation order: 2.0 | 1.9, 1.6 (bests) -> improving (1.6 vs 2.0: 20 %)
    add_run(store, "a1a1a1a1a1a1", [2.0, 2.1, 2.2], created=1000.0)
    add_run(store, "a2a2a2a2a2a2", [1.9, 2.0, 2.0], created=2000.0)
    add_run(store, "a3a3a3a3a3a3", [1.7, 1.6, 1.8], created=3000.0)
    store.set_archived(["a1a1a1a1a1a1"], True)
    c = compare(store, ["a3a3a3a3a3a3", "a2a2a2a2a2a2"])
    (_, trend), = c.trends  # fmt: skip
    assert len(trend.points) == 3 and trend.verdict == "improving"
    assert math.isclose(trend.change_pct or 0, 20.0)


def test_runs_worse_than(store: Store) -> None:
    # group m: 1.5 (best), 1.8 (+20 %), 2.4 (+60 %); group n: 1.0 alone
    add_run(store, "aaaaaaaaaaaa", [2.0, 1.5, 1.7], created=1000.0)
    add_run(store, "bbbbbbbbbbbb", [2.0, 1.9, 1.8], created=2000.0)
    add_run(store, "cccccccccccc", [2.4, 2.5, 2.6], created=3000.0)
    add_run(store, "dddddddddddd", [1.0, 1.1, 1.2], model="n", created=4000.0)
    runs = store.list_runs(RunQuery())
    worse = runs_worse_than(runs, 10.0)
    assert [(r.id, round(k.delta_pct or 0, 6)) for r, k in worse] == [
        ("cccccccccccc", 60.0), ("bbbbbbbbbbbb", 20.0),
    ]  # fmt: skip
    assert [r.id for r, _ in runs_worse_than(runs, 25.0, model="m")] == ["cccccccccccc"]
    assert runs_worse_than(runs, 10.0, model="n") == []


def _epochs_run(store: Store, rid: str, epoch_steps: list[int], epochs: list[float]) -> None:
    """eval/loss every step over 3 chunks, falling to its best at step 20_000 then rising;
    `epoch` logged at `epoch_steps`."""
    store.create_run(RunRecord(id=rid, project="p", name=rid[:4], model="m", status="finished"))
    n = 30_000
    steps = list(range(n))
    losses = [1.0 + abs(s - 20_000) / n for s in steps]
    store.write_points(rid, {"eval/loss": PointBatch.of(steps, [1e9 + s for s in steps], losses)})
    times = [1e9 + s for s in epoch_steps]
    store.write_points(rid, {"epoch": PointBatch.of(epoch_steps, times, epochs)})


def test_epoch_at_best_step_from_a_step_range(store: Store) -> None:
    # epoch logged every step (HF-style fractions): the value at the best step itself
    every = list(range(30_000))
    _epochs_run(store, "e1e1e1e1e1e1", every, [s / 10_000 for s in every])
    # epoch logged far apart and unevenly: the first epoch point at or after the best step
    # (the first window, twice the mean spacing = 20,000 steps, finds none: it widens)
    _epochs_run(store, "e2e2e2e2e2e2", [100, 200, 29_999], [1.0, 2.0, 3.0])
    # epoch last logged before the best step: its last value
    _epochs_run(store, "e3e3e3e3e3e3", [100, 200], [1.0, 2.0])
    c = compare(store, ["e1e1e1e1e1e1", "e2e2e2e2e2e2", "e3e3e3e3e3e3"], trends=False)
    by = {r.id: r for r in c.runs}
    assert [by[i].best_step for i in by] == [20_000] * 3
    assert by["e1e1e1e1e1e1"].best_epoch == 2.0
    assert by["e1e1e1e1e1e1"].best_at == "epoch 2 of 3"  # total: the last epoch logged, rounded up
    assert by["e2e2e2e2e2e2"].best_epoch == 3.0
    assert by["e3e3e3e3e3e3"].best_epoch == 2.0
