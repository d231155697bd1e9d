"""Rates and the ETA at every speed, through eval and checkpoint pauses (analysis.rates)."""

from __future__ import annotations

import numpy as np
import pytest

from trainboard.analysis.progress import compute_progress, progress_for
from trainboard.analysis.rates import active_pace, eta, read_anchor, read_window
from trainboard.store.base import Store
from trainboard.store.records import PointBatch, RunRecord

T0 = 1_700_000_000.0


def _running(store: Store, rid: str, steps: np.ndarray, times: np.ndarray, total: int) -> RunRecord:
    beat = float(times[-1])  # alive: a heartbeat with the newest step
    store.create_run(RunRecord(rid, "p", rid, created_at=T0, total_steps=total, heartbeat_at=beat))
    tokens = steps * 512.0
    store.write_points(
        rid,
        {
            "train/loss": PointBatch.of(steps, times, np.full(steps.size, 2.0)),
            "num_input_tokens_seen": PointBatch.of(steps, times, tokens),
        },
    )
    return store.get_run(rid)


@pytest.mark.parametrize(
    ("rid", "per_s", "n"),
    [
        ("aaaaaaaaaaa1", 1 / 60, 30),
        ("aaaaaaaaaaa2", 170.0, 30_000),
        ("aaaaaaaaaaa3", 10_000.0, 120_000),
    ],
)
def test_rates_and_eta_at_every_speed(store: Store, rid: str, per_s: float, n: int) -> None:
    steps = np.arange(1, n + 1)
    times = T0 + steps / per_s
    run = _running(store, rid, steps, times, total=2 * n)
    now = float(times[-1]) + 0.5 / per_s
    p = progress_for(store, run, now=now)
    assert p.status == "running"
    assert p.steps_per_s is not None and abs(p.steps_per_s / per_s - 1) < 0.01, p.steps_per_s
    assert p.tokens_per_s is not None and abs(p.tokens_per_s / (512 * per_s) - 1) < 0.01
    assert p.eta_s is not None and abs(p.eta_s / (n / per_s) - 1) < 0.02, p.eta_s
    window = read_window(store, run, "train/loss")
    assert window is not None
    covered = float(window[1][-1] - window[1][0])
    assert covered >= 2.0 and len(window[0]) <= 65_536 * 4


def _with_pauses(n: int, every: int, pause: float) -> tuple[np.ndarray, np.ndarray]:
    """1 s a step, and a `pause`-second eval after every `every` steps."""
    steps = np.arange(1, n + 1)
    times = T0 + steps * 1.0 + (steps // every) * pause
    return steps, times


def test_eta_counts_down_through_a_pause_and_never_runs_to_hours() -> None:
    steps, times = _with_pauses(400, every=100, pause=30.0)  # total 1000: 4 evals so far
    run = RunRecord("b" * 12, "p", "r", created_at=T0, total_steps=1000, last_step=400)
    anchor = (float(steps[99]), float(times[99]))  # a quarter of the way in
    remaining = 600
    before = eta(remaining, 1.0, (steps, times), anchor, float(times[-1]))
    assert before is not None
    during = [
        eta(remaining, 1.0, (steps, times), anchor, float(times[-1]) + s) for s in (5, 15, 25)
    ]
    assert all(d is not None and d < before for d in during)
    assert during == sorted(during, reverse=True)  # counts down with the clock
    # a pause far longer than any before: the ETA stops at what the steps themselves take
    stuck = eta(remaining, 1.0, (steps, times), anchor, float(times[-1]) + 3600)
    assert stuck == pytest.approx(remaining * active_pace(steps, times))
    assert run.total_steps == 1000


def test_eta_with_eval_pauses_is_within_a_fifth_after_a_tenth_of_the_run() -> None:
    n_total, every, pause = 2000, 50, 20.0
    steps, times = _with_pauses(n_total, every, pause)
    end = float(times[-1])
    for frac in (0.1, 0.25, 0.5):
        k = int(n_total * frac)
        s, t = steps[:k], times[:k]
        run = RunRecord("c" * 12, "p", "r", created_at=T0, total_steps=n_total, last_step=k,
                        summary={})  # fmt: skip
        a = int(k * 0.25)
        p = compute_progress(run, (s[-200:], t[-200:]), now=float(t[-1]), anchor=(s[a], t[a]))
        assert p.eta_s is not None
        real = end - float(t[-1])
        assert abs(p.eta_s - real) / real < 0.2, (frac, p.eta_s, real)


def test_anchor_is_the_first_point_a_quarter_of_the_way(store: Store) -> None:
    steps = np.arange(0, 4001, 10)
    times = T0 + steps * 0.5
    run = _running(store, "d" * 12, steps, times, total=8000)
    # step, time, and the pace between pauses there (0.5 s a step)
    assert read_anchor(store, run, "train/loss") == (1000.0, T0 + 500.0, 0.5)


def test_a_real_slowdown_shows_in_the_eta() -> None:
    """1 s a step for 300 steps, then 2 s: the long average lags, the speed ratio does not."""
    steps = np.arange(1, 401)
    times = T0 + np.cumsum(np.where(steps <= 300, 1.0, 2.0))
    anchor = (float(steps[99]), float(times[99]), 1.0)
    got = eta(600, 0.5, (steps[-100:], times[-100:]), anchor, float(times[-1]))
    assert got is not None and abs(got - 1200) / 1200 < 0.15
