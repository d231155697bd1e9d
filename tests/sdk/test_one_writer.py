"""One writer per run (#23): a second process that resumes a run still being written gets a
clear error at init(), or forks a new run when it asks to; once the first process is gone,
resume works. Nothing is overwritten. Real processes, a real SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import trainboard
from trainboard.errors import UsageError
from trainboard.store import open_store

FIRST = textwrap.dedent(
    """
    import time, trainboard
    run = trainboard.init(project="p", name="first", config={"lr": 0.1})
    for step in range(5000):
        run.log({"loss": float(step)}, step=step)
    run.flush()
    print(run.id, flush=True)
    time.sleep(600)
    """
)


def test_a_second_writer_is_refused_forks_on_request_and_resumes_once_the_first_died(
    tb_home: str,
) -> None:
    env = dict(os.environ, TRAINBOARD_HOME=tb_home, TRAINBOARD_SYSTEM_INTERVAL="0")
    first = subprocess.Popen(
        [sys.executable, "-c", FIRST], env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        assert first.stdout is not None
        run_id = first.stdout.readline().strip()
        assert len(run_id) == 12
        with pytest.raises(UsageError) as refused:
            trainboard.init(resume=run_id)
        message = str(refused.value)
        assert f"still being written by process {first.pid}" in message
        assert "fork=True" in message

        fork = trainboard.init(resume=run_id, fork=True)
        assert fork.id != run_id
        for step in range(5000, 10000):
            fork.log({"loss": -1.0}, step=step)
        fork.finish()
        with open_store() as db:
            forked = db.get_run(fork.id)
            assert forked.config == {"lr": 0.1} and forked.project == "p"
            assert forked.notes == f"forked from run {run_id}"
            original = db.read_series(run_id, "loss")
            assert len(original.steps) == 5000  # the fork wrote none of its points there
            assert set(original.values.tolist()) == {float(s) for s in range(5000)}
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)

    resumed = trainboard.init(resume=run_id)  # the first process is gone
    resumed.log({"loss": 0.5}, step=5000)
    resumed.finish()
    with open_store() as db:
        assert db.get_run(run_id).status == "finished"
        assert len(db.read_series(run_id, "loss").steps) == 5001


def test_fork_needs_a_run_to_fork(tb_home: str, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="fork=True starts a new attempt of resume=RUN_ID"):
        trainboard.init(project="p", fork=True)
