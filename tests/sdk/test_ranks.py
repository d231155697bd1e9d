"""The processes of one job are one run (sdk/torchrun.py, sdk/ranks.py): in one process,
each rank played in turn through the environment a launcher sets."""

from __future__ import annotations

import os
import time

import pytest

import trainboard
from trainboard.errors import UsageError
from trainboard.sdk.ranks import NAMESPACE
from trainboard.sdk.torchrun import job_of_env, job_run_id
from trainboard.store import open_store


def _as_rank(monkeypatch: pytest.MonkeyPatch, rank: int, world: int = 2) -> None:
    monkeypatch.setenv("RANK", str(rank))
    monkeypatch.setenv("LOCAL_RANK", str(rank))
    monkeypatch.setenv("WORLD_SIZE", str(world))
    monkeypatch.setenv("TORCHELASTIC_RUN_ID", "job-7")


def test_the_job_key_prefers_group_then_torchrun_then_slurm_then_master(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("RANK", "LOCAL_RANK", "WORLD_SIZE", "TORCHELASTIC_RUN_ID", "SLURM_JOB_ID"):
        monkeypatch.delenv(name, raising=False)
    assert job_of_env() is None  # one process alone
    monkeypatch.setenv("SLURM_NTASKS", "4")
    monkeypatch.setenv("SLURM_PROCID", "2")
    monkeypatch.setenv("SLURM_JOB_ID", "991")
    monkeypatch.setenv("SLURM_STEP_ID", "0")
    job = job_of_env()
    assert job is not None and (job.rank, job.world_size, job.key) == (2, 4, "slurm:991.0")
    monkeypatch.delenv("SLURM_NTASKS")
    _as_rank(monkeypatch, 1)
    monkeypatch.setenv("MASTER_ADDR", "10.0.0.1")
    monkeypatch.setenv("MASTER_PORT", "29500")
    assert job_of_env() == job_of_env()
    assert job_of_env().key == "torchelastic:job-7"  # type: ignore[union-attr]
    assert job_of_env(group="exp").key == "group:exp"  # type: ignore[union-attr]
    monkeypatch.setenv("TORCHELASTIC_RUN_ID", "none")  # torchrun's default rendezvous id
    monkeypatch.delenv("SLURM_JOB_ID")
    assert job_of_env().key == "master:10.0.0.1:29500"  # type: ignore[union-attr]
    monkeypatch.setenv("WORLD_SIZE", "1")
    assert job_of_env() is None
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "one")
    with pytest.raises(UsageError, match="RANK must be an integer rank, got 'one'"):
        job_of_env()


def test_every_rank_derives_the_same_run_id_and_another_job_another() -> None:
    os.environ.pop("TRAINBOARD_NOTHING", None)
    from trainboard.sdk.torchrun import Job

    a0 = Job(rank=0, world_size=2, local_rank=0, key="torchelastic:a", restart=0)
    a1 = Job(rank=1, world_size=2, local_rank=1, key="torchelastic:a", restart=1)
    b = Job(rank=0, world_size=2, local_rank=0, key="torchelastic:b", restart=0)
    assert job_run_id(a0, "p", "n") == job_run_id(a1, "p", "n")
    assert job_run_id(a0, "p", "n") != job_run_id(b, "p", "n")
    assert len(job_run_id(a0, None, None)) == 12


def test_a_rank_that_starts_first_and_one_that_fails_make_one_failed_run(
    tb_home: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRAINBOARD_SYSTEM_INTERVAL", "0.05")
    _as_rank(monkeypatch, 1)
    r1 = trainboard.init(project="p", name="ddp", config={"lr": 1.0})  # before rank 0
    assert not r1.enabled
    for _ in range(20):  # a rate needs two samples that see new steps: 1 s, even loaded
        r1.log({"loss": 2.0})  # rank 0's metrics are the run's: not stored from rank 1
        time.sleep(0.05)
    r1.finish("failed", notes="ValueError: bad batch")
    with open_store() as s:
        _as_rank(monkeypatch, 0)
    r0 = trainboard.init(project="p", name="ddp", config={"lr": 1.0})
    assert r0.id == r1.id and r0.enabled
    with open_store() as s:
        r0.log({"loss": 1.0})
    r0.finish()  # rank 0 finishing after never hides the failure
    with open_store() as s:
        rec = s.get_run(r0.id)
        events = s.read_events(r0.id)
        ranks = s.read_run_values(r0.id, NAMESPACE)
        loss = s.read_series(r0.id, "loss")
    assert rec.status == "failed" and rec.pid == os.getpid() and rec.config == {"lr": 1.0}
    assert rec.notes is not None and "rank 1 (host" in rec.notes and "bad batch" in rec.notes
    assert [(e.kind, e.level) for e in events] == [("rank", "error")]
    assert events[0].title.startswith("rank 1 (host ") and events[0].text == "ValueError: bad batch"
    assert list(loss.values) == [1.0]
    assert set(ranks) == {"0", "1"} and ranks["1"]["ended"] == "failed"
    assert ranks["0"]["ended"] == "finished" and ranks["1"]["host"] == ranks["0"]["host"]
    assert "sys/rank1/steps_per_s" in rec.summary and "sys/rank1/cpu_percent" in rec.summary
    assert not any(k.startswith("sys/rank1/gpu") for k in rec.summary)  # no NVML: no GPU keys


def test_ranks_that_finish_leave_the_run_finished_with_rank0s_metrics(
    tb_home: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _as_rank(monkeypatch, 1)
    r1 = trainboard.init(project="p", group="exp-1")
    r1.finish()
    _as_rank(monkeypatch, 0)
    r0 = trainboard.init(project="p", group="exp-1")
    assert r1.id == r0.id
    r0.log({"loss": 0.5})
    r0.finish()
    with open_store() as s:
        rec = s.get_run(r0.id)
        assert s.read_events(r0.id) == []
    assert rec.status == "finished" and rec.summary["loss"].last == 0.5
    assert "group:exp-1" in rec.tags


def test_each_rank_reports_the_data_wait_its_script_logs(
    tb_home: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two ranks played in turn: each logs `data_time` (a key of roles' vocabulary) and
    reports it as sys/rank{r}/data_wait; the straggler finding then names the data wait."""
    from trainboard import roles

    assert roles.data_wait_key(["loss", "time/data"]) == "time/data"
    assert roles.data_wait_key(["loss", "data"]) is None
    monkeypatch.setenv("TRAINBOARD_SYSTEM_INTERVAL", "0.05")
    for rank, wait in ((1, 0.3), (0, 0.01)):
        _as_rank(monkeypatch, rank)
        r = trainboard.init(project="p", group="waits")
        for i in range(8):
            r.log({"loss": 1.0 / (i + 1), "data_time": wait})
            time.sleep(0.06)
        r.finish()
    with open_store() as s:
        rec = s.get_run(r.id)
        w1 = s.read_series(r.id, "sys/rank1/data_wait").values
        w0 = s.read_series(r.id, "sys/rank0/data_wait").values
    assert len(w1) >= 1 and len(w0) >= 1
    assert all(abs(v - 0.3) < 1e-9 for v in w1) and all(abs(v - 0.01) < 1e-9 for v in w0)
    assert "data_time" in rec.summary and "sys/rank1/data_time" not in rec.summary
