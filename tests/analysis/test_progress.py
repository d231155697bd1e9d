"""analysis.progress against hand-worked numbers."""

from __future__ import annotations

import numpy as np

from trainboard.analysis.progress import (
    compute_progress,
    eval_loss_key,
    grad_norm_key,
    loss_key,
    progress_for,
    progress_from_summary,
    read_tail,
    smoothed_rate,
)
from trainboard.store.base import Store
from trainboard.store.records import MetricSummary, PointBatch, RunRecord

T0 = 1_700_000_000.0


def _summ(last: float, last_step: int, last_time: float = T0) -> MetricSummary:
    return MetricSummary(
        count=1, last=last, last_step=last_step, min=last, min_step=last_step, max=last,
        max_step=last_step, first_time=T0, last_time=last_time,
    )  # fmt: skip


def _run(**kw: object) -> RunRecord:
    base: dict[str, object] = {"id": "a1b2c3d4e5f6", "project": "p", "name": "r"}
    base.update(kw)
    return RunRecord(**base)  # type: ignore[arg-type]


def test_steady_rate_hand_worked() -> None:
    # 2 steps/s: a point every 10 steps, 5 s apart, steps 0..100; total 1000
    steps = np.arange(0, 101, 10)
    times = T0 + steps / 2.0
    tokens = steps * 1024.0
    run = _run(
        total_steps=1000, last_step=100, created_at=T0 - 10,
        summary={"train/loss": _summ(2.1, 100), "tokens": _summ(102400, 100),
                 "grad_norm": _summ(0.43, 100), "epoch": _summ(0.5, 100)},
    )  # fmt: skip
    p = compute_progress(run, (steps, times), (steps, times, tokens), now=T0 + 51)
    assert p.step == 100 and p.total_steps == 1000
    assert p.percent == 10.0
    assert p.elapsed_s == 61.0
    assert p.steps_per_s is not None and abs(p.steps_per_s - 2.0) < 1e-9
    assert p.tokens_per_s is not None and abs(p.tokens_per_s - 2048.0) < 1e-6
    assert p.eta_s is not None and abs(p.eta_s - 450.0) < 1e-6  # 900 steps at 2/s
    assert (p.loss, p.loss_key, p.grad_norm, p.epoch) == (2.1, "train/loss", 0.43, 0.5)
    assert p.tokens == 102400 and p.batches == 100
    j = p.to_json()
    assert j["elapsed_text"] == "1m 1s" and j["eta_text"] == "7m 30s"
    assert j["tokens_text"] == "0.10M" and j["tokens"] == 102400
    assert j["status"] == "running"
    # plain Python numbers only: orjson and the API serialise this as is
    assert all(type(v) in (int, float, str, type(None)) for v in j.values())
    assert type(j["steps_per_s"]) is float and type(j["tokens_per_s"]) is float


def test_jittering_rate_keeps_eta_steady() -> None:
    # a point every step, intervals drawn from [0.5, 1.5] s: the true pace is 1 s/step
    rng = np.random.default_rng(7)
    dts = rng.uniform(0.5, 1.5, size=400)
    times = T0 + np.concatenate([[0.0], np.cumsum(dts)])
    steps = np.arange(times.size)
    total = 1000
    etas, naive = [], []
    for k in range(150, 400):
        run = _run(total_steps=total, last_step=k, created_at=T0,
                   summary={"loss": _summ(1.0, k)})  # fmt: skip
        p = compute_progress(run, (steps[: k + 1], times[: k + 1]), now=times[k])
        assert p.eta_s is not None
        etas.append(p.eta_s)
        naive.append((total - k) * (times[k] - times[k - 1]))
    # each step ETA falls by about the one second the step took, give or take a few percent
    # (intervals jitter by ±50%; the naive ETA from the last interval jumps by 50-200%)
    moves = np.abs(np.diff(etas) + 1.0) / np.asarray(etas[1:])
    assert moves.max() < 0.03 and moves.mean() < 0.01
    naive_moves = np.abs(np.diff(naive)) / np.asarray(naive[1:])
    assert naive_moves.max() > 0.5  # what the smoothing saves us from
    # and it is accurate: remaining steps at ~1 s/step
    assert abs(etas[-1] - (total - 399)) / (total - 399) < 0.1


def test_alternating_intervals_are_not_biased() -> None:
    # 0.5 s, 1.5 s, 0.5 s, ...: the mean of instantaneous rates would say 1.33 steps/s
    dts = np.tile([0.5, 1.5], 50)
    times = T0 + np.concatenate([[0.0], np.cumsum(dts)])
    rate = smoothed_rate(np.arange(times.size), times)
    assert rate is not None and abs(rate - 1.0) < 0.02


def test_no_total_steps() -> None:
    steps = np.arange(0, 21)
    run = _run(last_step=20, created_at=T0, summary={"train_loss": _summ(3.0, 20)})
    p = compute_progress(run, (steps, T0 + steps * 0.25), now=T0 + 6)
    assert p.percent is None and p.eta_s is None
    assert p.steps_per_s is not None and abs(p.steps_per_s - 4.0) < 1e-9
    assert p.loss_key == "train_loss" and p.to_json()["eta_text"] == "—"


def test_finished_run() -> None:
    steps = np.arange(0, 501, 50)
    run = _run(
        status="finished", total_steps=500, last_step=500, created_at=T0,
        finished_at=T0 + 3725, summary={"loss": _summ(0.9, 500)},
    )  # fmt: skip
    p = compute_progress(run, (steps, T0 + steps * 7.0), now=T0 + 99999)
    assert p.percent == 100.0 and p.eta_s == 0.0 and p.elapsed_s == 3725.0
    assert p.to_json()["eta_text"] == "0s" and p.to_json()["elapsed_text"] == "1h 2m 5s"


def test_crashed_run_ends_at_last_sign_of_life() -> None:
    run = _run(
        status="crashed", total_steps=100, last_step=10, created_at=T0, heartbeat_at=T0 + 40,
        summary={"loss": _summ(2.0, 10, last_time=T0 + 30)},
    )  # fmt: skip
    p = compute_progress(run, None, now=T0 + 5000)
    assert p.elapsed_s == 40.0 and p.eta_s is None and p.status == "crashed"


def test_run_with_no_points() -> None:
    run = _run(total_steps=2000, created_at=T0)
    p = compute_progress(run, None, None, now=T0 + 12.5)
    assert p.step is None and p.percent is None and p.eta_s is None
    assert p.steps_per_s is None and p.tokens_per_s is None and p.tokens is None
    assert p.loss is None and p.batches is None and p.elapsed_s == 12.5
    j = p.to_json()
    assert (j["elapsed_text"], j["eta_text"], j["tokens_text"]) == ("12s", "—", "—")


def test_too_little_known_for_a_rate() -> None:
    # two points one second and 2 steps apart: no rate, no ETA yet
    run = _run(total_steps=100, last_step=2, created_at=T0, summary={"loss": _summ(2.0, 2)})
    p = compute_progress(run, (np.array([0, 2]), np.array([T0, T0 + 1])), now=T0 + 1)
    assert p.steps_per_s is None and p.eta_s is None


def test_batches_metric_and_reached_total() -> None:
    run = _run(total_steps=100, last_step=100, created_at=T0,
               summary={"loss": _summ(1.0, 100), "batches": _summ(400, 100)})  # fmt: skip
    p = compute_progress(run, None, now=T0 + 10)
    assert p.batches == 400 and p.eta_s == 0.0


def test_key_choice() -> None:
    assert loss_key(["eval/loss", "loss", "train/loss"]) == "train/loss"
    assert loss_key(["val_loss", "lm_loss"]) == "lm_loss"
    assert loss_key(["val/loss", "eval_loss"]) is None
    assert eval_loss_key(["train/loss", "val/loss"]) == "val/loss"
    assert grad_norm_key(["model/grad_norm", "lr"]) == "model/grad_norm"
    assert grad_norm_key(["train/grad_norm", "grad_norm"]) == "grad_norm"


def test_progress_from_summary_alone() -> None:
    # loss every 10 steps, steps 10..100 at T0 + step / 2; tokens 1024 per step
    times = {"first_time": T0 + 5, "last_time": T0 + 50}
    loss = MetricSummary(count=10, last=1.5, last_step=100, min=1.5, min_step=100, max=3.0,
                         max_step=10, **times)  # fmt: skip
    toks = MetricSummary(count=10, last=102400, last_step=100, min=10240, min_step=10,
                         max=102400, max_step=100, **times)  # fmt: skip
    run = _run(total_steps=1000, last_step=100, created_at=T0,
               summary={"loss": loss, "tokens": toks})  # fmt: skip
    p = progress_from_summary(run, now=T0 + 50)
    # steps: first ≈ 100 / 10 = 10, so 90 steps in 45 s; tokens: 92,160 in 45 s
    assert p.steps_per_s == 2.0 and p.tokens_per_s == 2048.0
    assert p.eta_s == 450.0 and p.percent == 10.0 and p.loss == 1.5


def test_progress_for_reads_only_the_tail(store: Store) -> None:
    # 5,000 steps at 2 steps/s, a point every step; total 10,000
    run = store.create_run(
        RunRecord(
            id="0123456789ab",
            project="p",
            name="r",
            created_at=T0 - 10,
            total_steps=10_000,
            status="finished",
            finished_at=T0 + 2500,
        )  # fmt: skip
    )
    steps = np.arange(1, 5001)
    times = T0 + steps / 2.0
    store.write_points(
        run.id,
        {
            "train/loss": PointBatch.of(steps, times, 3.0 - steps / 5000),
            "tokens": PointBatch.of(steps, times, steps * 1024.0),
        },
    )
    stored = store.get_run(run.id)
    tail = read_tail(store, stored, "train/loss", 400)
    assert tail is not None and 100 <= len(tail[0]) <= 1600 and tail[0][-1] == 5000
    p = progress_for(store, stored, now=T0 + 9999)
    assert p.step == 5000 and p.percent == 50.0 and p.eta_s == 0.0  # finished
    # finished: whole-run averages, 5,000 steps (5,120,000 tokens) in the 2,510 s it took
    assert p.steps_per_s == 5000 / 2510 and p.tokens_per_s == 5000 * 1024 / 2510
    assert p.elapsed_s == 2510.0 and p.loss == 2.0 and p.tokens == 5000 * 1024


def test_system_metrics_are_never_the_step_clock() -> None:
    """System metrics are sampled on their own timer: a run whose sys/ series reached a later
    step than its accuracy still counts steps by the accuracy."""
    from trainboard.analysis.progress import clock_key

    summary = {"sys/cpu_percent": _summ(50.0, 400), "acc": _summ(0.9, 120)}
    assert clock_key(summary) == "acc"
    p = compute_progress(_run(summary=summary, total_steps=200), now=T0)
    assert p.step == 120 and p.percent == 60.0


def test_an_ended_run_shows_its_whole_run_averages() -> None:
    """150 steps in 2.5 s (1,024 tokens a step): a finished run shows what it did over the
    time it took; a running one its smoothed rate (2.5 s is enough to measure one)."""
    loss = MetricSummary(count=150, last=2.0, last_step=150, min=2.0, min_step=150, max=4.0,
                         max_step=1, first_time=T0, last_time=T0 + 2.5)  # fmt: skip
    toks = MetricSummary(count=150, last=153_600, last_step=150, min=1_024, min_step=1,
                         max=153_600, max_step=150, first_time=T0, last_time=T0 + 2.5)  # fmt: skip
    run = _run(summary={"train/loss": loss, "tokens": toks}, last_step=150, created_at=T0,
               finished_at=T0 + 2.5, status="finished")  # fmt: skip
    samples = (np.arange(1, 151), T0 + np.linspace(0, 2.5, 150))
    done = compute_progress(run, samples, now=T0 + 10)
    assert done.steps_per_s == 150 / 2.5 and done.tokens_per_s == 153_600 / 2.5
    assert progress_from_summary(run, now=T0 + 10).steps_per_s == done.steps_per_s
    live = compute_progress(run, samples, now=T0 + 10, status="running")
    assert live.steps_per_s is not None and abs(live.steps_per_s - 149 / 2.5) < 1
    short = (samples[0][:60], samples[1][:60])  # 1 s: too short to measure
    assert compute_progress(run, short, now=T0 + 1, status="running").steps_per_s is None


def test_a_finished_job_reads_its_steps_over_its_time() -> None:
    """ "it took 10m 6s for 1,000 steps" is 1.65 steps/s, whatever its last minute did."""
    loss = MetricSummary(count=1000, last=1.0, last_step=1000, min=1.0, min_step=1000,
                         max=3.0, max_step=1, first_time=T0 + 5, last_time=T0 + 606)  # fmt: skip
    run = _run(summary={"loss": loss}, last_step=1000, created_at=T0, finished_at=T0 + 606,
               status="finished", total_steps=1000)  # fmt: skip
    fast_end = (np.arange(900, 1001), T0 + 506 + np.arange(0, 101) * 0.1)  # 10 steps/s at the end
    p = compute_progress(run, fast_end, now=T0 + 9999)
    assert p.to_json()["elapsed_text"] == "10m 6s"
    assert f"{p.steps_per_s:.2f}" == "1.65"


def test_a_finished_run_that_counted_from_zero_reads_its_real_end() -> None:
    """Lightning logs a 340-step fit's last point at step 339: finished, it did all 340."""
    from trainboard.analysis.progress import SummaryProgress

    done = _run(status="finished", total_steps=340, last_step=339, created_at=T0,
                finished_at=T0 + 34, summary={"loss": _summ(0.9, 339)})  # fmt: skip
    p = compute_progress(done, now=T0 + 99)
    assert (p.step, p.total_steps, p.percent) == (340, 340, 100.0)
    j = SummaryProgress(T0 + 99).json(done, "finished")
    assert (j["step"], j["percent"]) == (340, 100.0)
    # still running at 339, or stopped early at 200: what it is
    running = _run(status="running", total_steps=340, last_step=339, created_at=T0,
                   heartbeat_at=T0 + 34, summary={"loss": _summ(0.9, 339)})  # fmt: skip
    assert compute_progress(running, now=T0 + 34).step == 339
    early = _run(status="finished", total_steps=340, last_step=200, created_at=T0,
                 finished_at=T0 + 34, summary={"loss": _summ(0.9, 200)})  # fmt: skip
    p = compute_progress(early, now=T0 + 99)
    assert (p.step, round(p.percent or 0, 1)) == (200, 58.8)
