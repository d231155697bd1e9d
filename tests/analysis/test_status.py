"""effective_status / reconcile: crashed runs derived from dead pids and old heartbeats."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import psutil
import pytest

from trainboard.analysis.status import effective_status, reconcile
from trainboard.store.base import Store
from trainboard.store.records import PointBatch, RunRecord

HOST = socket.gethostname()


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _run(run_id: str = "a" * 12, **fields: object) -> RunRecord:
    now = time.time()
    base: dict[str, object] = dict(
        id=run_id, project="p", name=run_id, created_at=now - 10, heartbeat_at=now, host=HOST
    )
    base.update(fields)
    return RunRecord(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize("status", ["finished", "failed", "killed", "crashed"])
def test_an_ended_run_keeps_its_status(status: str) -> None:
    assert effective_status(_run(status=status, pid=_dead_pid(), heartbeat_at=0.0)) == status


def test_a_live_process_with_a_fresh_heartbeat_is_running() -> None:
    assert effective_status(_run(pid=os.getpid())) == "running"


def test_a_dead_pid_on_this_host_is_crashed_at_once() -> None:
    assert effective_status(_run(pid=_dead_pid())) == "crashed"


def test_a_reused_pid_is_crashed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRAINBOARD_HEARTBEAT_TIMEOUT", "1000000")  # only the pid can tell
    started = psutil.Process().create_time()
    rec = _run(pid=os.getpid(), heartbeat_at=started - 100.0)  # beat before this process began
    assert effective_status(rec) == "crashed"


def test_another_host_is_judged_by_the_heartbeat_age(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRAINBOARD_HEARTBEAT_TIMEOUT", "60")
    rec = _run(host="elsewhere", pid=_dead_pid(), heartbeat_at=1000.0)
    assert effective_status(rec, now=1059.0) == "running"
    assert effective_status(rec, now=1061.0) == "crashed"
    assert effective_status(rec, now=1059.0, hostname="elsewhere") == "crashed"  # pid gone


def test_reconcile_persists_crashed_only_for_dead_runs(store: Store) -> None:
    dead = store.create_run(_run("d" * 12, pid=_dead_pid()))
    alive = store.create_run(_run("e" * 12, pid=os.getpid()))
    done = store.create_run(_run("f" * 12, pid=_dead_pid(), status="finished"))
    last_point = time.time() + 5  # a point written after the last heartbeat
    store.write_points(dead.id, {"loss": PointBatch.of([1], [last_point], [0.5])})
    runs = [store.get_run(r.id) for r in (dead, alive, done)]
    changed = reconcile(store, runs)
    assert [r.id for r in changed] == [dead.id] and runs[0].status == "crashed"
    stored = store.get_run(dead.id)
    assert stored.status == "crashed" and stored.finished_at == pytest.approx(last_point)
    assert store.get_run(alive.id).status == "running"
    assert store.get_run(done.id).status == "finished"
    assert reconcile(store, [store.get_run(dead.id)]) == []


def test_reconcile_never_overwrites_a_run_that_finished_after_it_was_listed(store: Store) -> None:
    run = store.create_run(_run("a" * 12, pid=_dead_pid()))
    stale = [store.get_run(run.id)]  # listed while running; its process then looks gone
    store.update_run(run.id, status="finished", finished_at=run.created_at + 5)  # finish() won
    assert reconcile(store, stale) == []
    stored = store.get_run(run.id)
    assert stored.status == "finished" and stored.finished_at == run.created_at + 5
    assert stale[0].status == "finished" and stale[0].finished_at == run.created_at + 5
