"""A rank that sends through the team server and stops sending heartbeats (killed, its host
lost) crashes the run, naming the rank and its host; the server's poller finds it, since
it cannot check a remote rank's pid (analysis/rankbeat.py)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.server.conftest import ServerProcess
from trainboard.store import open_store

# a rank: logs a step every 20 ms until the file STOP appears, then finishes
RANK = """
import os, pathlib, time, trainboard
run = trainboard.init(project="hb", name="ddp")
stop = pathlib.Path(os.environ["STOP"])
step = 0
while not stop.exists():
    run.log({"loss": 1.0 / (step + 1)})
    step += 1
    time.sleep(0.02)
run.finish()
"""


def _wait(what: str, check: Callable[[], Any], timeout: float = 120.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = check()
        if got:
            return got
        time.sleep(0.1)
    raise AssertionError(f"not within {timeout} s: {what}")


def _start_rank(
    srv: ServerProcess, tmp_path: Path, rank: int, stop: Path
) -> subprocess.Popen[bytes]:
    """One rank of a two-rank torchrun job, sending through the team server."""
    env = srv.env()
    env.update(
        TRAINBOARD_URL=srv.url,
        TRAINBOARD_HOME=str(tmp_path / f"rank{rank}"),
        TRAINBOARD_SYSTEM_INTERVAL="0.1",
        TRAINBOARD_FLUSH_INTERVAL="0.1",
        TRAINBOARD_HEARTBEAT_INTERVAL="0.2",
        TRAINBOARD_QUIET="1",
        RANK=str(rank),
        LOCAL_RANK=str(rank),
        WORLD_SIZE="2",
        MASTER_ADDR="127.0.0.1",
        MASTER_PORT="29533",
        TORCHELASTIC_RUN_ID="hb-job",
        STOP=str(stop),
    )
    return subprocess.Popen([sys.executable, "-c", RANK], env=env)


def _the_run(api: Any) -> dict[str, Any] | None:
    runs = api.get("/api/v1/runs", params={"project": "hb"}).json()["runs"]
    if len(runs) != 1:
        return None
    return api.get(f"/api/v1/runs/{runs[0]['id']}").json()["run"]  # type: ignore[no-any-return]


def test_a_remote_run_rank_1_made_first_is_owned_by_rank_0(tmp_path: Path) -> None:
    """Rank 1 starts first and creates the run through the team server (which takes rank
    0's later create as a resend); the run's host and pid are still rank 0's once it
    starts, and stay so until the job ends."""
    srv = ServerProcess(tmp_path / "srv").start()
    stop = tmp_path / "stop"
    procs: dict[int, subprocess.Popen[bytes]] = {}
    api = srv.client()
    try:
        procs[1] = _start_rank(srv, tmp_path, 1, stop)
        first = _wait(
            "rank 1 makes the run",
            lambda: (r := _the_run(api)) and "sys/rank1/steps_per_s" in r["summary"] and r,
        )
        assert first["pid"] == procs[1].pid  # the bad order: the run is rank 1's so far
        procs[0] = _start_rank(srv, tmp_path, 0, stop)
        run = _wait(
            "rank 0 owns the run",
            lambda: (r := _the_run(api)) and r["pid"] == procs[0].pid and r,
        )
        assert run["host"] == socket.gethostname() and run["id"] == first["id"]
        _wait(
            "both ranks report",
            lambda: (r := _the_run(api)) and "sys/rank0/steps_per_s" in r["summary"],
        )
        stop.write_text("")
        assert procs[0].wait(60) == 0 and procs[1].wait(60) == 0
        run = _wait("the run ends", lambda: (r := _the_run(api)) and r["status"] != "running" and r)
        assert run["status"] == "finished" and run["pid"] == procs[0].pid
    finally:
        api.close()
        for p in procs.values():
            if p.poll() is None:
                os.kill(p.pid, signal.SIGKILL)
                p.wait(10)
        srv.stop()


def test_a_remote_rank_that_stops_beating_crashes_the_run_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRAINBOARD_HEARTBEAT_TIMEOUT", "3")  # the server judges with it
    srv = ServerProcess(tmp_path / "srv").start()
    stop = tmp_path / "stop"
    procs: dict[int, subprocess.Popen[bytes]] = {}
    try:

        def start(rank: int) -> None:
            procs[rank] = _start_rank(srv, tmp_path, rank, stop)

        api = srv.client()

        def the_run() -> dict[str, Any] | None:
            return _the_run(api)

        # rank 0 makes the run (its pid the run's), rank 1 joins it late
        start(0)
        _wait(
            "rank 0 reports", lambda: (r := the_run()) and "sys/rank0/steps_per_s" in r["summary"]
        )
        start(1)

        def both_beating() -> dict[str, Any] | None:
            run = the_run()
            if run is None or not {"sys/rank0/steps_per_s", "sys/rank1/steps_per_s"} <= set(
                run["summary"]
            ):
                return None
            return run

        run = _wait("both ranks report into one run", both_beating)

        def rank1_beat_after_a_step() -> bool:
            with open_store(srv.store_url) as db:
                seen = db.read_run_values(run["id"], "ranks").get("1", {}).get("seen_step")
            return isinstance(seen, int) and seen >= 1

        _wait("rank 1 beats after its first steps", rank1_beat_after_a_step)
        assert run["status"] == "running"
        procs[1].send_signal(signal.SIGKILL)  # writes nothing on its way out
        procs[1].wait(30)
        run = _wait(
            "the run is crashed",
            lambda: (r := the_run()) is not None and r["status"] == "crashed" and r,
        )
        host = socket.gethostname()
        assert run["notes"].startswith(f"rank 1 (host {host}, GPU 1) stopped sending heartbeats")
        assert " at step " in run["notes"]
        assert procs[0].poll() is None  # rank 0 still runs: only the heartbeat told
        events = api.get(f"/api/v1/runs/{run['id']}/events").json()["events"]
        said = [e for e in events if e["kind"] == "rank"]
        assert len(said) == 1 and said[0]["title"] == run["notes"] and said[0]["level"] == "error"
        stop.write_text("")
        assert procs[0].wait(60) == 0
        run = the_run()
        assert run is not None and run["status"] == "crashed"  # rank 0's end keeps it crashed
        api.close()
    finally:
        for p in procs.values():
            if p.poll() is None:
                os.kill(p.pid, signal.SIGKILL)
                p.wait(10)
        srv.stop()
