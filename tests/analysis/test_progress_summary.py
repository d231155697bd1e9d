"""SummaryProgress (the runs list's progress) gives exactly progress_from_summary().to_json()."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from trainboard.analysis.progress import SummaryProgress, progress_from_summary
from trainboard.store.records import STATUSES, MetricSummary, RunRecord

T0 = 1_700_000_000.0
KEYS = ["train/loss", "loss", "eval/loss", "my_loss", "tokens", "batches", "epoch",
        "grad_norm", "enc/grad_norm", "system/cpu", "acc"]  # fmt: skip
values = st.one_of(
    st.floats(-1e6, 1e6), st.sampled_from([math.nan, math.inf, -math.inf, 0.0, 1.0, 2048.0])
)


@st.composite
def summaries(draw: st.DrawFn) -> MetricSummary:
    count = draw(st.integers(1, 500))
    first = T0 + draw(st.floats(0, 100))
    lo, last, hi = sorted([draw(values), draw(values), draw(values)], key=lambda v: (v != v, v))
    return MetricSummary(
        count=count, last=last, last_step=draw(st.integers(0, 10_000)), min=lo, min_step=0,
        max=hi, max_step=0, first_time=first, last_time=first + draw(st.floats(0, 5000)),
    )  # fmt: skip


@st.composite
def runs(draw: st.DrawFn) -> tuple[RunRecord, str]:
    keys = draw(st.lists(st.sampled_from(KEYS), unique=True, max_size=6))
    run = RunRecord(
        id="a" * 12, project="p", name="r",
        status=draw(st.sampled_from(STATUSES)),
        total_steps=draw(st.one_of(st.none(), st.integers(0, 20_000))),
        last_step=draw(st.one_of(st.none(), st.integers(0, 20_000))),
        created_at=T0,
        finished_at=draw(st.one_of(st.none(), st.floats(T0, T0 + 1e5))),
        heartbeat_at=draw(st.one_of(st.none(), st.floats(T0, T0 + 1e5))),
        summary={k: draw(summaries()) for k in keys},
    )  # fmt: skip
    return run, draw(st.sampled_from(STATUSES))


@settings(max_examples=300, deadline=None)
@given(st.lists(runs(), min_size=1, max_size=8), st.floats(T0, T0 + 2e5))
def test_summary_progress_is_progress_from_summary_to_json(
    cases: list[tuple[RunRecord, str]], now: float
) -> None:
    many = SummaryProgress(now)  # one for all runs: its per-key-set lookups are reused
    for run, status in cases:
        want = progress_from_summary(run, now=now, status=status).to_json()  # type: ignore[arg-type]
        assert many.json(run, status) == want  # type: ignore[arg-type]


def test_a_nan_batches_metric_falls_back_to_the_step() -> None:
    nan = MetricSummary(1, math.nan, 5, math.nan, 5, math.nan, 5, T0, T0)
    run = RunRecord("a" * 12, "p", "r", last_step=5, created_at=T0, summary={"batches": nan})
    assert progress_from_summary(run, now=T0).batches == 5
    assert SummaryProgress(T0).json(run, "running")["batches"] == 5
