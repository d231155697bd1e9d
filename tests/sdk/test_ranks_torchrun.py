"""Real `torchrun --standalone --nproc_per_node=2` jobs on CPU (gloo): one job is one run,
and a rank that raises, is killed, or is restarted by torchrun shows on it
(tests/jobs/ddp_job.py is the job)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from trainboard.sdk.ranks import NAMESPACE
from trainboard.store import open_store
from trainboard.store.attempts import NAMESPACE as ATTEMPTS
from trainboard.store.attempts import attempts_of
from trainboard.store.records import RunRecord

pytestmark = pytest.mark.slow
JOB = Path(__file__).parent.parent / "jobs" / "ddp_job.py"


def _torchrun(
    tmp_path: Path, mode: str, *flags: str, steps: int = 30, log_every: int = 1
) -> tuple[int, str, RunRecord, list, dict]:  # type: ignore[type-arg]
    url = f"sqlite:///{tmp_path / 'job.db'}"
    env = dict(
        os.environ,
        JOB_CKPT=str(tmp_path / "job.ckpt"),
        JOB_MODE=mode,
        JOB_STORE=url,
        JOB_STEPS=str(steps),
        JOB_LOG_EVERY=str(log_every),
        TRAINBOARD_SYSTEM_INTERVAL="0.2",
        TRAINBOARD_QUIET="1",
        TRAINBOARD_HOME=str(tmp_path / "home"),
    )
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2"]
    done = subprocess.run(
        [*cmd, *flags, str(JOB)], env=env, capture_output=True, text=True, timeout=240
    )
    with open_store(url) as s:
        runs = s.list_runs()
        assert len(runs) == 1, [r.name for r in runs]  # one job, one run
        run = runs[0]
        return (
            done.returncode,
            done.stderr,
            run,
            s.read_events(run.id),
            s.read_run_values(run.id, NAMESPACE),
        )


def test_a_rank_that_raises_fails_the_run_with_its_rank_host_and_error(tmp_path: Path) -> None:
    rc, err, run, events, ranks = _torchrun(tmp_path, "raise")
    assert rc != 0
    assert run.status == "failed"
    assert run.notes is not None and "rank 1 (host " in run.notes
    assert "RuntimeError: rank 1 ran out of batches" in run.notes
    first = events[0]
    assert (first.kind, first.level) == ("rank", "error") and first.title.startswith("rank 1 ")
    assert ranks["1"]["ended"] == "failed" and set(ranks) == {"0", "1"}
    assert "loss" in run.summary  # rank 0's metrics are the run's
    assert "sys/rank1/steps_per_s" in run.summary and "sys/rank0/steps_per_s" in run.summary


def test_a_rank_killed_with_sigkill_crashes_the_run_naming_it(tmp_path: Path) -> None:
    rc, err, run, events, ranks = _torchrun(tmp_path, "sigkill")
    assert rc != 0 and "SIGKILL" in err
    assert run.status == "crashed"
    assert run.notes is not None and run.notes.startswith("rank 1 (host ")
    died = [e for e in events if e.title.endswith(" died")]
    assert len(died) == 1 and died[0].title.startswith("rank 1 ") and "SIGKILL" in died[0].text
    # rank 0 ends on whichever comes first: the broken all-reduce ("failed") or torchrun's
    # SIGTERM to the surviving ranks ("killed"); either way it records rank 1's death
    assert ranks["1"]["ended"] is None and ranks["0"]["ended"] in ("failed", "killed")


def test_torchrun_max_restarts_continues_the_same_run_with_a_restart_event(
    tmp_path: Path,
) -> None:
    rc, err, run, events, ranks = _torchrun(tmp_path, "restart", "--max-restarts=1")
    assert rc == 0, err[-2000:]
    assert run.status == "finished" and run.notes is None
    kinds = [(e.kind, e.title) for e in events]
    assert ("restart", "restart 1 of the job") in kinds
    assert kinds.index(("restart", "restart 1 of the job")) > 0  # after the failure it follows
    assert any(k == "rank" and t.startswith("rank 1 ") for k, t in kinds)
    assert ranks["0"]["restart"] == 1 and ranks["1"]["ended"] == "finished"
    assert run.summary["loss"].last_step == 29


def test_a_job_resumed_from_a_checkpoint_continues_the_run_at_its_step(tmp_path: Path) -> None:
    """A job dies at step 25 (rank 1 pre-empted) after its checkpoint at step 19; a new
    torchrun job loads the checkpoint and resumes the run from step 19: one run, its timeline
    0..29, the dead attempt's 20..24 kept as superseded, each attempt on the timeline."""
    rc, err, run, events, ranks = _torchrun(tmp_path, "ckpt")
    assert rc != 0 and run.status == "failed"
    assert run.summary["loss"].last_step == 24
    died = ranks
    rc, err, run, events, ranks = _torchrun(tmp_path, "ckpt")
    assert rc == 0, err[-2000:]
    assert run.status == "finished" and run.last_step == 29
    # every rank of the resumed job records into the run, rank 0 owning it
    assert died["1"]["ended"] == "failed" and ranks["1"]["ended"] == "finished"
    assert ranks["1"]["pid"] != died["1"]["pid"] and ranks["0"]["pid"] != died["0"]["pid"]
    assert run.pid == ranks["0"]["pid"]
    assert run.summary["sys/rank1/steps_per_s"].last_time > died["1"]["ended_at"]
    with open_store(f"sqlite:///{tmp_path / 'job.db'}") as s:
        kept = s.read_series(run.id, "loss").steps.tolist()
        gone = s.read_series(run.id, "loss", superseded=True).steps.tolist()
        tried = attempts_of(s.read_run_values(run.id, ATTEMPTS))
    assert kept == list(range(30)) and gone == [20, 21, 22, 23, 24]
    assert [(a.n, a.from_step, a.superseded) for a in tried] == [
        (1, None, None),
        (2, 19, (20, 24)),
    ]
    assert ("attempt", "attempt 2 resumed from step 19") in [(e.kind, e.title) for e in events]


def test_a_slow_rank_is_named_a_straggler_on_the_health_card_and_in_show(
    tmp_path: Path,
) -> None:
    from typer.testing import CliRunner

    from trainboard.analysis.health import health_for
    from trainboard.cli import app

    rc, err, run, events, ranks = _torchrun(tmp_path, "slow", steps=60)
    assert rc == 0, err[-2000:]
    assert run.status == "finished" and events == []
    with open_store(f"sqlite:///{tmp_path / 'job.db'}") as s:
        found = [f for f in health_for(s, run).findings if f.check == "straggler"]
    assert len(found) == 1 and found[0].saw.startswith("rank 1 (host ")
    assert "slower than the median rank" in found[0].saw
    env = {"TRAINBOARD_DB": f"sqlite:///{tmp_path / 'job.db'}", "COLUMNS": "200"}
    shown = CliRunner().invoke(app, ["show", run.id], env=env)
    assert shown.exit_code == 0 and "straggler" in shown.output and "rank 1 (host" in shown.output


def test_under_ddp_the_rank_the_others_wait_for_is_named_by_its_all_reduce_wait(
    tmp_path: Path,
) -> None:
    """Rank 1 takes 0.1 s longer each step; DDP's all-reduce makes both ranks step at its
    pace, so the rates cannot tell. The comm hook (`run.watch_ddp`) times each rank's wait:
    rank 0 waits most of each step, rank 1 hardly at all, and the finding names rank 1."""
    from trainboard.analysis.health import health_for

    rc, err, run, events, ranks = _torchrun(tmp_path, "wait", steps=60)
    assert rc == 0, err[-2000:]
    assert run.status == "finished"
    with open_store(f"sqlite:///{tmp_path / 'job.db'}") as s:
        waits = {r: s.read_series(run.id, f"sys/rank{r}/comm_wait").values for r in (0, 1)}
        found = [f for f in health_for(s, run).findings if f.check == "straggler"]
    assert len(waits[0]) >= 3 and len(waits[1]) >= 3  # both ranks timed their waits
    assert float(np.median(waits[0])) > 2 * float(np.median(waits[1]))
    assert len(found) == 1, [f.saw for f in found]
    saw = found[0].saw
    assert saw.startswith("rank 1 (host ") and "is the one the others wait for" in saw, saw
    assert "they wait " in saw and "% of each step" in saw


def test_two_nodes_through_a_c10d_rendezvous_make_one_run_with_every_rank(
    tmp_path: Path,
) -> None:
    """Two torchrun processes (`--nnodes=2`, one rank each) meeting at a c10d rendezvous on
    127.0.0.1, as two nodes would: one run, both ranks on it, each with its own reports."""
    import socket

    url = f"sqlite:///{tmp_path / 'job.db'}"
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = dict(
        os.environ,
        JOB_MODE="ok",
        JOB_STORE=url,
        JOB_STEPS="20",
        TRAINBOARD_SYSTEM_INTERVAL="0.2",
        TRAINBOARD_QUIET="1",
        TRAINBOARD_HOME=str(tmp_path / "home"),
    )
    nodes = [
        subprocess.Popen(
            [
                *(sys.executable, "-m", "torch.distributed.run", "--nnodes=2"),
                *("--nproc_per_node=1", f"--node_rank={n}", "--rdzv_backend=c10d"),
                *(f"--rdzv_endpoint=127.0.0.1:{port}", "--rdzv_id=two-nodes", str(JOB)),
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for n in (0, 1)
    ]
    outs = [p.communicate(timeout=300)[0] for p in nodes]
    assert [p.returncode for p in nodes] == [0, 0], outs[0][-2000:] + outs[1][-2000:]
    with open_store(url) as s:
        runs = s.list_runs()
        assert len(runs) == 1, [r.name for r in runs]  # two nodes, one job, one run
        run = runs[0]
        ranks = s.read_run_values(run.id, NAMESPACE)
    assert run.status == "finished" and set(ranks) == {"0", "1"}
    assert ranks["0"]["local_rank"] == 0 and ranks["1"]["local_rank"] == 0  # one per node
    assert ranks["0"]["ended"] == ranks["1"]["ended"] == "finished"
    assert "sys/rank0/steps_per_s" in run.summary and "sys/rank1/steps_per_s" in run.summary
    assert run.summary["loss"].last_step == 19


def test_per_rank_rates_hold_when_the_script_logs_every_few_steps(tmp_path: Path) -> None:
    """Ranks at their own pace (rank 1 three times slower) that log every 5 steps, while the
    sampler looks every 0.2 s, most often between two logs: every stored rate is a real one
    (a sample that saw no new step used to store 0 at the step, replacing the rate there),
    and the slow rank's rates are the lower ones, so the straggler is still named."""
    from trainboard.analysis.health import health_for

    rc, err, run, _events, _ranks = _torchrun(tmp_path, "slow", steps=80, log_every=5)
    assert rc == 0, err[-2000:]
    with open_store(f"sqlite:///{tmp_path / 'job.db'}") as s:
        rates = {r: s.read_series(run.id, f"sys/rank{r}/steps_per_s").values for r in (0, 1)}
        found = [f for f in health_for(s, run).findings if f.check == "straggler"]
    for r in (0, 1):
        assert len(rates[r]) >= 3, rates
        assert all(v > 0 for v in rates[r]), rates  # never a 0 from a sample between logs
    assert float(np.median(rates[1])) < float(np.median(rates[0])), rates
    assert len(found) == 1 and found[0].saw.startswith("rank 1 (host "), [f.saw for f in found]
