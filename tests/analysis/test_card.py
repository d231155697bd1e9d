"""trainboard.analysis.card on a real SQLite store: GPU figures from the system metrics, the
loss trend's direction and numbers, checkpoint marks by step, and the estimated cost."""

from __future__ import annotations

from pathlib import Path

import pytest

from trainboard.analysis.card import PRICE_ENV, card_for, card_texts, price_per_hour
from trainboard.analysis.progress import progress_for
from trainboard.store import open_store
from trainboard.store.base import Store
from trainboard.store.records import ArtifactRecord, PointBatch, RunRecord

T0 = 1_700_000_000.0


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return open_store(f"sqlite:///{tmp_path / 'card.db'}")


def _run(store: Store, losses: list[float], **kw: object) -> RunRecord:
    fields: dict[str, object] = {"id": "card00000001", "project": "p", "name": "c",
                                 "created_at": T0, "total_steps": 200, "status": "finished",
                                 "finished_at": T0 + 7200}  # fmt: skip
    fields |= kw
    store.create_run(RunRecord(**fields))  # type: ignore[arg-type]
    steps = list(range(1, len(losses) + 1))
    times = [T0 + 36 * s for s in steps]
    store.write_points(
        "card00000001",
        {
            "train/loss": PointBatch.of(steps, times, losses),
            "sys/gpu0/util": PointBatch.of([1, 2], [T0, T0 + 1], [50.0, 90.0]),
            "sys/gpu1/util": PointBatch.of([1, 2], [T0, T0 + 1], [60.0, 70.0]),
            "sys/gpu0/mem_used_gb": PointBatch.of([2], [T0 + 1], [30.5]),
            "sys/gpu1/mem_used_gb": PointBatch.of([2], [T0 + 1], [61.0]),
            "sys/gpu1/mem_percent": PointBatch.of([2], [T0 + 1], [76.0]),
        },
    )
    return store.get_run("card00000001")


def test_gpu_trend_checkpoints_and_cost(store: Store) -> None:
    run = _run(store, [3.0 - s / 100 for s in range(100)], config={"hw": {"price_per_hour": 2.5}})
    store.add_artifact(run.id, ArtifactRecord("step_50.pt", "checkpoint", 50, "a", 10, T0))
    store.add_artifact(run.id, ArtifactRecord("samples.txt", "text", 60, "b", 10, T0))
    card = card_for(store, run, progress_for(store, run))
    assert card.gpus == 2
    assert card.gpu_util_pct == 80.0  # the mean of the last values, 90 and 70
    assert card.gpu_mem_gb == 61.0 and card.gpu_mem_pct == 76.0
    assert card.trend == "improving" and card.trend_key == "train/loss"
    assert "over steps 81–100" in card.trend_text and "%)" in card.trend_text
    assert [(c.step, c.percent, c.name) for c in card.checkpoints] == [(50, 25.0, "step_50.pt")]
    assert card.price_per_hour == 2.5
    assert card.cost_so_far == pytest.approx(5.0)  # 2 h finished run
    assert card.cost_text.startswith("5.00 so far")
    assert card.to_json()["checkpoints"] == [{"step": 50, "percent": 25.0, "name": "step_50.pt"}]


def test_flat_and_worsening_and_no_price(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PRICE_ENV, raising=False)
    run = _run(store, [1.0 + (s % 2) * 0.001 for s in range(100)])
    card = card_for(store, run, progress_for(store, run))
    assert card.trend == "flat"
    assert card.price_per_hour is None and card.cost_text == ""
    monkeypatch.setenv(PRICE_ENV, "4")
    assert price_per_hour(run) == 4.0
    monkeypatch.setenv(PRICE_ENV, "four")
    with pytest.raises(ValueError, match="TRAINBOARD_PRICE_PER_HOUR must be a number"):
        price_per_hour(run)
    monkeypatch.delenv(PRICE_ENV)
    store.delete_runs([run.id])
    worse = _run(store, [1.0 + s / 50 for s in range(100)])
    assert card_for(store, worse, progress_for(store, worse)).trend == "worsening"


def test_a_diverging_run_is_never_improving(store: Store) -> None:
    # 0.46 falling to 0.4, then diverging to 5 and easing off to 3.8: the newest fifth is
    # below the fifth before it, yet the run exploded; the card says so, as health does
    losses = [0.46 - 0.001 * s for s in range(60)]
    losses += [0.4 + 0.25 * s for s in range(20)]
    losses += [5.0 - 0.06 * s for s in range(20)]
    run = _run(store, losses)
    card = card_for(store, run, progress_for(store, run))
    assert card.verdict == "critical"
    assert card.verdict_text == "critical: loss exploding"
    assert card.trend == "worsening"
    assert card.trend_text.startswith("critical: train/loss rose to")
    assert card_texts(card)[0] == ("health", "critical: loss exploding")
    assert ("loss trend", "↑ worsening") in card_texts(card)


def test_a_loss_that_is_not_falling_is_flat(store: Store) -> None:
    # the newest fifth (1.975) is 2.7% below the fifth before (2.03), but the loss has not
    # fallen 2% from where it started (2.0): "not falling", so not "improving"
    losses = [2.0] * 60 + [2.03] * 20 + [1.975] * 20
    run = _run(store, losses)
    card = card_for(store, run, progress_for(store, run))
    assert card.verdict == "warning" and "loss not falling" in card.verdict_text
    assert card.trend == "flat"


def test_a_multi_process_job_shows_every_ranks_gpu_not_only_rank_0s_node(store: Store) -> None:
    run = _run(store, [3.0 - s / 100 for s in range(100)])
    store.write_points(  # rank 0 on node a (GPU 0), ranks 1 and 2 on node b
        run.id,
        {
            "sys/rank0/gpu/util": PointBatch.of([2], [T0 + 1], [90.0]),
            "sys/rank1/gpu/util": PointBatch.of([2], [T0 + 1], [30.0]),
            "sys/rank2/gpu/util": PointBatch.of([2], [T0 + 1], [60.0]),
            "sys/rank2/gpu/mem_used_gb": PointBatch.of([2], [T0 + 1], [70.0]),
            "sys/rank1/gpu/mem_percent": PointBatch.of([2], [T0 + 1], [88.0]),
        },
    )
    card = card_for(store, store.get_run(run.id), progress_for(store, run))
    assert card.gpus == 3  # one GPU per rank, on both nodes
    assert card.gpu_util_pct == 60.0  # the mean of 90, 30 and 60
    assert card.gpu_mem_gb == 70.0 and card.gpu_mem_pct == 88.0


def test_a_loss_with_nan_reads_not_finite_not_worsening(store: Store) -> None:
    # the finite loss falls from 2 to 0.02, with NaN at step 40 and inf at step 70: health
    # warns of NaN/inf, and the trend says just that, not "worsening" (which reads "it rose")
    losses = [2.0 - 0.0198 * s for s in range(100)]
    losses[39], losses[69] = float("nan"), float("inf")
    run = _run(store, losses)
    card = card_for(store, run, progress_for(store, run))
    assert card.trend == "not_finite"
    assert card.trend_label == "✕ NaN/inf"
    assert ("loss trend", "✕ NaN/inf") in card_texts(card)
    assert "↑" not in card.trend_label and "worsening" not in card.trend_label
    assert card.to_json()["trend_label"] == "✕ NaN/inf"
