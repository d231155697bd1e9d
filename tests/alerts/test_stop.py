"""Stopping a run from outside: the CLI, the API and the frameworks, with real processes."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import trainboard
from trainboard.analysis.control import request_stop
from trainboard.errors import RunStopped, UsageError
from trainboard.store import open_store

LOOP = textwrap.dedent(
    """
    import sys, time
    import trainboard
    run = trainboard.init(project="ctl", name="loop", total_steps=100000)
    print(run.id, flush=True)
    step = 0
    while not run.should_stop:
        step += 1
        run.log({"train/loss": 1.0 / step}, step=step)
        time.sleep(0.01)
    print("left at", step, flush=True)
    run.finish()
    """
)


def _status(run_id: str) -> str:
    with open_store() as store:
        return store.get_run(run_id).status


def _start_loop(tmp_path: Path) -> tuple[subprocess.Popen[str], str]:
    script = tmp_path / "loop.py"
    script.write_text(LOOP)
    proc = subprocess.Popen(
        [sys.executable, str(script)], stdout=subprocess.PIPE, text=True, env=dict(os.environ)
    )
    assert proc.stdout is not None
    return proc, proc.stdout.readline().strip()


def test_trainboard_stop_ends_a_loop_that_checks_should_stop(tb_home: str, tmp_path: Path) -> None:
    proc, run_id = _start_loop(tmp_path)
    try:
        time.sleep(0.5)
        cli = subprocess.run(
            [sys.executable, "-m", "trainboard", "stop", run_id[:6]],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert cli.returncode == 0, cli.stderr
        assert f"asked run loop ({run_id}) to stop" in cli.stdout
        out, _ = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 0 and "left at" in out
    assert _status(run_id) == "stopped"
    with open_store() as store:
        events = store.read_events(run_id)
    assert events[0].kind == "stop" and events[0].text.startswith("asked to stop by cli:")
    again = subprocess.run(
        [sys.executable, "-m", "trainboard", "stop", run_id],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert again.returncode != 0 and "is stopped, not running: nothing to stop" in again.stderr


def test_stop_raise_makes_the_next_log_raise_and_the_run_ends_stopped(
    tb_home: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRAINBOARD_CONTROL_INTERVAL", "0.1")
    with pytest.raises(RunStopped, match="was asked to stop by api"):
        with trainboard.init(project="ctl", name="raise", stop="raise") as run:
            run.log({"train/loss": 1.0}, step=1)
            trainboard.Api().run(run.id).stop()
            end = time.monotonic() + 10
            step = 1
            while time.monotonic() < end:
                step += 1
                run.log({"train/loss": 1.0}, step=step)
                time.sleep(0.01)
    assert _status(run.id) == "stopped"
    assert run.should_stop and run.finished


def test_stop_is_refused_for_a_run_that_is_not_running(tb_home: str) -> None:
    run = trainboard.init(project="ctl", name="done")
    run.log({"x": 1.0}, step=1)
    run.finish()
    with open_store() as store, pytest.raises(UsageError, match="is finished, not running"):
        request_stop(store, run.id, by="test")
    with pytest.raises(UsageError, match='stop must be "flag" or "raise"'):
        trainboard.init(project="ctl", stop="now")
    with pytest.raises(UsageError, match="hang_after must be a positive number"):
        trainboard.init(project="ctl", hang_after=0)


def test_a_resumed_run_is_not_stopped_by_the_request_of_its_last_attempt(
    tb_home: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRAINBOARD_CONTROL_INTERVAL", "0.1")
    run = trainboard.init(project="ctl", name="twice")
    run.log({"x": 1.0}, step=1)
    with open_store() as store:
        request_stop(store, run.id, by="test")
    end = time.monotonic() + 10
    while not run.should_stop and time.monotonic() < end:
        time.sleep(0.05)
    run.finish()
    assert _status(run.id) == "stopped"
    again = trainboard.init(resume=run.id)
    again.log({"x": 2.0}, step=2)
    time.sleep(0.6)  # several checks, each finding the old request
    assert not again.should_stop
    again.finish()
    assert _status(run.id) == "finished"
