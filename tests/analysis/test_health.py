"""analysis.health: each check against synthetic series whose verdict is worked out by hand."""

from __future__ import annotations

import math

import numpy as np

from trainboard.analysis.health import (
    HealthInputs,
    assess,
    check_grad_clipped,
    check_loss_exploding,
    check_loss_nan,
    check_loss_not_falling,
    check_overfitting,
    check_stalled,
    check_throughput,
    clip_from_config,
    health_for,
    infer_clip,
)
from trainboard.store.base import Store
from trainboard.store.records import PointBatch, RunRecord

T0 = 1_700_000_000.0
STEPS = np.arange(100)
FALLING = 3.0 * np.exp(-STEPS / 30.0) + 1.0  # 4.0 → ~1.04


def test_healthy_run_says_so() -> None:
    h = assess(
        HealthInputs(
            loss=(STEPS, FALLING),
            grad=np.full(100, 0.4) + np.linspace(0, 0.1, 100),
            throughput=(T0 + STEPS, STEPS * 1000.0),
            step_times=T0 + STEPS,
            now=T0 + 100,
        )
    )
    assert h.verdict == "healthy" and h.findings == []
    # first 10% median (steps 0..9: the mean of steps 4 and 5) and last 25% median (step 87)
    start = 1.5 * (math.exp(-4 / 30) + math.exp(-5 / 30)) + 1
    recent = 3 * math.exp(-87 / 30) + 1
    assert h.summary == f"healthy: loss falling ({start:.4f} → {recent:.4f}), no anomalies"
    assert h.to_json() == {"verdict": "healthy", "findings": [], "summary": h.summary}


def test_loss_nan_latest_is_critical() -> None:
    v = FALLING.copy()
    v[97:] = np.nan
    f = check_loss_nan(STEPS, v, key="train/loss")
    assert f is not None and f.severity == "critical"
    assert f.saw == "train/loss is NaN at step 99 (first non-finite at step 97)"
    h = assess(HealthInputs(loss=(STEPS, v), loss_key="train/loss"))
    assert h.verdict == "critical" and h.summary == "critical: loss is NaN/inf"
    assert h.to_json()["findings"][0]["try"].startswith("lower the learning rate")


def test_loss_inf_then_recovered_is_a_warning() -> None:
    v = FALLING.copy()
    v[[10, 20]] = math.inf
    f = check_loss_nan(STEPS, v)
    assert f is not None and f.severity == "warning"
    assert f.saw.startswith("loss was inf at 2 of 100 points (first at step 10)")


def test_loss_exploding() -> None:
    # falls 4 → 1 over 50 steps, then climbs to 9: recent median 8.x > start 4 and > 2 × best 1
    v = np.concatenate([np.linspace(4, 1, 50), np.linspace(1, 9, 50)])
    f = check_loss_exploding(STEPS, v)
    assert f is not None and f.severity == "critical"
    assert "best of 1.0000 at step 49" in f.saw and "started (3.7" in f.saw
    assert check_loss_exploding(STEPS, FALLING) is None
    # a loss that rose but stayed under its start is not exploding
    assert (
        check_loss_exploding(STEPS, np.concatenate([np.linspace(4, 1, 50), np.full(50, 2.5)]))
        is None
    )


def test_loss_not_falling() -> None:
    flat = 2.31 + 0.01 * np.sin(STEPS)  # wiggles around 2.31
    f = check_loss_not_falling(STEPS, flat)
    assert f is not None and f.check == "loss_not_falling" and "over 99 steps" in f.saw
    assert check_loss_not_falling(STEPS, FALLING) is None
    assert check_loss_not_falling(STEPS[:10], flat[:10]) is None  # too few points to judge
    h = assess(HealthInputs(loss=(STEPS, flat)))
    assert h.verdict == "warning" and h.summary == "warning: loss not falling"


def test_overfitting() -> None:
    # evals every 10 steps: 3.0, 2.5, 2.2, 2.0 (best, step 30), 2.05, 2.1, 2.24
    vs = np.array([0, 10, 20, 30, 40, 50, 60])
    vv = np.array([3.0, 2.5, 2.2, 2.0, 2.05, 2.1, 2.24])
    ts = np.arange(61)
    tv = 3.0 - ts * 0.02  # train keeps falling: 2.42 around step 30, 1.84 at 60
    f = check_overfitting(ts, tv, vs, vv, val_key="eval/loss")
    assert f is not None
    # rise (2.24 - 2.0) / 2.0 = 12.0%; train: median of steps 26..30 = 2.44, of 56..60 = 1.84
    # → fell (2.44 - 1.84) / 2.44 = 24.6%
    assert f.saw == (
        "eval/loss rose 12.0% over the last 3 evals (best 2.0000 at step 30, now 2.2400) "
        "while train loss fell 24.6%"
    )
    assert f.try_.startswith("stop at the best checkpoint (step 30)")
    # the same curves within the first epoch: no example seen twice, so not overfitting
    assert check_overfitting(ts, tv, vs, vv, epoch=0.8) is None
    assert check_overfitting(ts, tv, vs, vv, epoch=2.5) is not None
    # still improving: no finding; best only one eval ago: no finding
    assert check_overfitting(ts, tv, vs, np.array([3, 2.5, 2.2, 2.0, 1.9, 1.8, 1.7])) is None
    assert check_overfitting(ts, tv, vs, np.array([3, 2.5, 2.2, 2.0, 1.9, 1.8, 2.5])) is None
    # ...nor two evals ago (two noisy evals are not a trend)
    assert check_overfitting(ts, tv, vs, np.array([3, 2.5, 2.2, 2.0, 1.7, 1.9, 1.95])) is None
    # validation rising while train is flat too: that is not overfitting
    assert check_overfitting(ts, np.full(61, 2.0), vs, vv) is None


def test_grad_clipped_inferred_plateau() -> None:
    # post-clip norms: 80 of 100 steps sit at exactly 1.0
    g = np.concatenate([np.full(80, 1.0), np.linspace(0.3, 0.9, 20)])
    assert infer_clip(g) == 1.0
    f = check_grad_clipped(g, key="grad_norm")
    assert f is not None
    assert f.saw == (
        "grad_norm at or above the clip value 1.000 (inferred: most points sit at the max) on "
        "80.0% of the last 100 points (median 1.000)"
    )
    assert infer_clip(np.linspace(0.1, 1.0, 100)) is None
    assert check_grad_clipped(np.linspace(0.1, 1.0, 100)) is None


def test_grad_clipped_from_config() -> None:
    assert clip_from_config({"max_grad_norm": 1.0}) == 1.0
    assert clip_from_config({"optim": {"grad_clip": 0.5}, "lr": 3e-4}) == 0.5
    assert clip_from_config({"lr": 1e-3, "grad_clip": True}) is None
    # pre-clip norms logged: 60 of 100 above the configured 1.0
    g = np.concatenate([np.linspace(1.1, 3.0, 60), np.linspace(0.2, 0.9, 40)])
    f = check_grad_clipped(g, clip=1.0)
    assert f is not None and "(config) on 60.0% of the last 100 points" in f.saw
    assert check_grad_clipped(g, clip=5.0) is None


def test_throughput_drop() -> None:
    # 1000 tokens/s for 80 s, then 500 tokens/s for 20 s: earlier (10%..60%) 1000/s,
    # recent (last 20 s) 500/s → fell 50%
    t = np.arange(0.0, 101.0)
    y = np.where(t <= 80, t * 1000.0, 80_000 + (t - 80) * 500.0)
    f = check_throughput(T0 + t, y, unit="tokens")
    assert f is not None
    assert f.saw == (
        "tokens/s fell 50.0%: 1,000 tokens/s earlier, 500 tokens/s over the last 20% of the run"
    )
    # a 25% slow-down is within tolerance
    y2 = np.where(t <= 80, t * 1000.0, 80_000 + (t - 80) * 750.0)
    assert check_throughput(T0 + t, y2) is None


def test_a_checkpoint_pause_is_not_a_throughput_drop() -> None:
    # a step (1000 tokens) every 0.5 s, and a 90 s checkpoint save just before the end: the
    # last 20% of the time is mostly the pause, but the run is not slower
    steps = np.arange(1, 401)
    t = steps * 0.5 + np.where(steps >= 380, 90.0, 0.0)
    assert check_throughput(T0 + t, steps * 1000.0) is None
    # the same pause and steps that really take twice as long after it: found
    slow = t + np.where(steps >= 380, (steps - 380) * 0.5, 0.0)
    f = check_throughput(T0 + slow, steps * 1000.0)
    assert f is not None and f.saw.startswith("tokens/s fell 50.0%")


def test_clipped_words_say_how_often() -> None:
    g = np.array([1.0] * 52 + [0.4] * 48)
    f = check_grad_clipped(g, clip=1.0)
    assert f is not None and "on 52.0% of the last 100 points" in f.saw
    assert f.try_.startswith("updates are rescaled on 52.0% of steps,")
    f = check_grad_clipped(np.array([1.0] * 97 + [0.4] * 3), clip=1.0)
    assert f is not None and f.try_.startswith("updates are rescaled on nearly every step,")


def test_stalled() -> None:
    times = T0 + np.arange(50) * 2.0  # a step every 2 s, last at T0 + 98
    f = check_stalled(times, now=T0 + 98 + 300, status="running", last_step=49)
    assert f is not None and f.saw == (
        "no new step for 5m 0s; steps usually come every 2.000s (last step 49)"
    )
    # under max(10 × 2 s, 60 s) idle: fine; and a finished run is never stalled
    assert check_stalled(times, now=T0 + 98 + 59, status="running") is None
    assert check_stalled(times, now=T0 + 98 + 300, status="finished") is None


def test_verdict_orders_critical_first() -> None:
    v = FALLING.copy()
    v[-1] = np.nan
    h = assess(
        HealthInputs(
            loss=(STEPS, v),
            grad=np.full(100, 1.0),
            step_times=T0 + STEPS,
            now=T0 + 1000,
        )
    )
    assert h.verdict == "critical"
    assert [f.check for f in h.findings] == ["loss_nan", "grad_clipped", "stalled"]
    assert h.summary == "critical: loss is NaN/inf, gradients clipped on most steps, stalled"


def test_health_for_reads_a_stored_run(store: Store) -> None:
    run = store.create_run(
        RunRecord(
            id="0123456789ab", project="p", name="r", created_at=T0, config={"max_grad_norm": 1.0}
        )
    )
    steps = np.arange(200)
    loss = np.concatenate([np.linspace(4, 1, 100), np.linspace(1, 9, 100)])
    store.write_points(
        run.id,
        {
            "train/loss": PointBatch.of(steps, T0 + steps, loss),
            "grad_norm": PointBatch.of(steps, T0 + steps, np.full(200, 2.0)),
        },
    )
    h = health_for(store, store.get_run(run.id), now=T0 + 200)
    assert h.verdict == "critical"
    assert [f.check for f in h.findings] == ["loss_exploding", "grad_clipped"]
    assert "(config) on 100.0% of the last 200 points" in h.findings[1].saw
