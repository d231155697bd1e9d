"""init(resume=ID, resume_from_step=N) on both engines: the run continues at step N, the
points the attempt that died logged after N are superseded (hidden, kept, read on request),
each attempt is recorded and shown as an event, and the ETA leaves out the time it was down."""

from __future__ import annotations

import time

import pytest

import trainboard
from trainboard.analysis.progress import progress_for
from trainboard.errors import UsageError
from trainboard.sdk.wandb.init import init as wandb_init
from trainboard.store import open_store
from trainboard.store.attempts import NAMESPACE, attempts_of
from trainboard.store.records import PointBatch, RunRecord


def _died_at(store_url: str, last: int) -> str:
    """A run that logged loss = step for steps 0..last, then died (its process is gone)."""
    run = trainboard.init(project="p", name="pre", store=store_url, total_steps=1000)
    for step in range(last + 1):
        run.log({"loss": float(step)}, step=step)
    run.finish("failed", notes="pre-empted")
    return run.id


def test_resume_from_step_supersedes_the_dead_attempts_later_points(store_url: str) -> None:
    run_id = _died_at(store_url, 149)
    run = trainboard.init(resume=run_id, resume_from_step=100, store=store_url)
    assert run.step == 100
    for step in range(101, 121):
        run.log({"loss": 1000.0 + step}, step=step)
    run.finish()
    with open_store(store_url) as s:
        kept = s.read_series(run_id, "loss")
        gone = s.read_series(run_id, "loss", superseded=True)
        rec = s.get_run(run_id)
        tried = attempts_of(s.read_run_values(run_id, NAMESPACE))
        events = [e for e in s.read_events(run_id) if e.kind == "attempt"]
    # the chart's timeline: 0..100 of the first attempt, then 101..120 of the second
    assert kept.steps.tolist() == list(range(121))
    assert kept.values.tolist()[:101] == [float(s) for s in range(101)]
    assert kept.values.tolist()[101:] == [1000.0 + s for s in range(101, 121)]
    # kept, never deleted: the first attempt's 101..149, only on request
    assert gone.steps.tolist() == list(range(101, 150))
    assert gone.values.tolist() == [float(s) for s in range(101, 150)]
    # the summaries (the comparison, the Runs list) are of the kept timeline
    assert rec.last_step == 120 and rec.status == "finished"
    assert rec.summary["loss"].last == 1120.0 and rec.summary["loss"].max == 1120.0
    assert [(a.n, a.from_step, a.superseded) for a in tried] == [
        (1, None, None),
        (2, 100, (101, 149)),
    ]
    assert len(events) == 1 and events[0].title == "attempt 2 resumed from step 100"
    assert "steps 101-149" in events[0].text and events[0].step == 100


def test_a_second_resume_supersedes_again_and_keeps_both(store_url: str) -> None:
    run_id = _died_at(store_url, 59)
    run = trainboard.init(resume=run_id, resume_from_step=40, store=store_url)
    for step in range(41, 81):
        run.log({"loss": 500.0 + step}, step=step)
    run.finish("failed")
    run = trainboard.init(resume=run_id, resume_from_step=70, store=store_url)
    for step in range(71, 76):
        run.log({"loss": 900.0 + step}, step=step)
    run.finish()
    with open_store(store_url) as s:
        kept = s.read_series(run_id, "loss")
        gone = s.read_series(run_id, "loss", superseded=True)
        tried = attempts_of(s.read_run_values(run_id, NAMESPACE))
    assert kept.steps.tolist() == list(range(76))
    assert kept.values.tolist()[40:42] == [40.0, 541.0]
    assert kept.values.tolist()[70:72] == [570.0, 971.0]
    # superseded: the first attempt's 41..59 (its 41..59 overwritten by the second's, which
    # wrote later, read as one per step) and the second attempt's 71..80
    assert gone.steps.tolist()[0] == 41 and gone.steps.tolist()[-1] == 80
    assert [a.n for a in tried] == [1, 2, 3] and tried[2].superseded == (71, 80)


def test_resume_from_the_last_step_or_beyond_supersedes_nothing(sqlite_url: str) -> None:
    run_id = _died_at(sqlite_url, 9)
    run = trainboard.init(resume=run_id, resume_from_step=9, store=sqlite_url)
    run.log({"loss": 10.0})
    run.finish()
    with open_store(sqlite_url) as s:
        assert s.read_series(run_id, "loss").steps.tolist() == list(range(11))
        assert s.read_series(run_id, "loss", superseded=True).steps.tolist() == []
        tried = attempts_of(s.read_run_values(run_id, NAMESPACE))
    assert tried[-1].from_step is None and tried[-1].superseded is None


def test_bad_resume_from_step_is_refused_naming_it(sqlite_url: str) -> None:
    run_id = _died_at(sqlite_url, 3)
    with pytest.raises(UsageError, match="resume_from_step must be an int >= 0, got -1"):
        trainboard.init(resume=run_id, resume_from_step=-1, store=sqlite_url)
    with pytest.raises(UsageError, match="resume_from_step= continues a run"):
        trainboard.init(project="p", resume_from_step=3, store=sqlite_url)


def test_wandb_resume_from_continues_the_run_at_the_step(sqlite_url: str) -> None:
    run_id = _died_at(sqlite_url, 29)
    run = wandb_init(resume_from=f"{run_id}?_step=20", store=sqlite_url)
    assert run.id == run_id and run.step == 20
    run.log({"loss": -1.0})
    run.finish()
    with open_store(sqlite_url) as s:
        kept = s.read_series(run_id, "loss")
        gone = s.read_series(run_id, "loss", superseded=True)
    assert kept.steps.tolist() == list(range(22)) and kept.values.tolist()[-1] == -1.0
    assert gone.steps.tolist() == list(range(21, 30))
    with pytest.raises(UsageError, match='resume_from must be "RUN_ID\\?_step=N"'):
        wandb_init(resume_from=f"{run_id}?step=20", store=sqlite_url)


def test_the_eta_and_rates_leave_out_the_time_the_job_was_down(sqlite_url: str) -> None:
    """A run that logged 100 steps at 1 step/s, was down for 10,000 s, and resumed: its
    elapsed time and whole-run rate are those of the time it ran."""
    t0 = time.time() - 20_000
    with open_store(sqlite_url) as s:
        s.create_run(
            RunRecord(id="ab12ab12ab12", project="p", name="down", created_at=t0, total_steps=400)
        )
        s.write_points(
            "ab12ab12ab12",
            {"loss": PointBatch.of(list(range(100)), [t0 + i for i in range(100)], [1.0] * 100)},
        )
        s.update_run("ab12ab12ab12", status="crashed", heartbeat_at=t0 + 99)
    run = trainboard.init(resume="ab12ab12ab12", resume_from_step=99, store=sqlite_url)
    run.finish()
    with open_store(sqlite_url) as s:
        rec = s.get_run("ab12ab12ab12")
        p = progress_for(s, rec)
        down = attempts_of(s.read_run_values(rec.id, NAMESPACE))[-1].down_s
    assert down > 19_000
    # without leaving the downtime out, elapsed would be over 20,000 s and the rate 0.005/s
    assert p.elapsed_s is not None and p.elapsed_s < 1_000
    assert p.steps_per_s is not None and p.steps_per_s > 0.1
