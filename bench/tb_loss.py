"""What is lost when things die (DESIGN.md's last two numbers), with real processes:

- sigkill: a training process logs 4 scalars every millisecond into SQLite and is killed with
  SIGKILL; every point whose log() returned must be stored once the next process opens the
  store (it writes the dead run's journal in: journal/recovery.py).
- outage: a training process logs to a remote server (TRAINBOARD_URL) that is stopped for a
  while (60 s; 5 s with --quick) and started again on the same port; nothing may be lost.
- faults: log() as fast as the caller can while the SQLite store is locked by another process,
  then while the run is deleted under it; the longest log() call (≤ 50 ms) and how long finish()
  takes (≤ 5 s) with the store locked again at the end.

Run as `python -m bench.tb_loss WORKLOAD --dir DIR [--quick]`; prints one JSON line.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from bench.common import log, workload_main
from trainboard.store import open_store

# The training process: logs a step every ~1 ms and reports "step wall_time" on stdout.
_TRAINER = """
import sys, time, trainboard
run = trainboard.init(project="bench", name="victim", total_steps=10**9)
print("run", run.id, flush=True)
step = 0
end = time.time() + float(sys.argv[1])
while time.time() < end:
    step += 1
    run.log({"train/loss": 1.0 / step, "lr": 1e-4, "grad_norm": 0.5, "tokens": step * 8192.0},
            step=step)
    print(step, time.time(), flush=True)
    time.sleep(0.001)
run.finish()
print("done", step, flush=True)
"""


class _Trainer:
    """The child process and what it said: run id, and the wall time of each logged step."""

    def __init__(self, seconds: float, env: dict[str, str], log_path: Path) -> None:
        self.err = open(log_path, "wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _TRAINER, str(seconds)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=self.err,
            text=True,
        )
        self.run_id = ""
        self.logged: dict[int, float] = {}
        self.done = False
        self._t = threading.Thread(target=self._read, daemon=True)
        self._t.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            head, _, rest = line.partition(" ")
            if head == "run":
                self.run_id = rest.strip()
            elif head == "done":
                self.done = True
            elif head.isdigit():
                self.logged[int(head)] = float(rest)

    def wait_steps(self, n: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while len(self.logged) < n:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"trainer stopped early, see {self.err.name}")
            time.sleep(0.01)

    def join(self, timeout: float) -> None:
        self.proc.wait(timeout)
        self._t.join(10)
        self.err.close()


def _stored_steps(url: str, run_id: str) -> set[int]:
    with open_store(url) as store:
        return {int(s) for s in store.read_series(run_id, "train/loss").steps}


def sigkill(d: Path, quick: bool) -> dict[str, Any]:
    from trainboard import settings

    trials = 2 if quick else 5
    lost_total = 0
    worst_age = 0.0
    for k in range(trials):
        url = f"sqlite:///{d / f'kill{k}.db'}"
        open_store(url).close()
        env = dict(os.environ, TRAINBOARD_DB=url, TRAINBOARD_SYSTEM_INTERVAL="0")
        env.pop("TRAINBOARD_URL", None)
        t = _Trainer(600, env, d / f"kill{k}.log")
        t.wait_steps(1500 + 300 * k)  # ~1.5-3 s of training, at a different phase each time
        os.kill(t.proc.pid, signal.SIGKILL)
        killed_at = time.time()
        t.join(30)
        stored = _stored_steps(url, t.run_id)
        lost = sorted(set(t.logged) - stored)
        assert stored <= set(t.logged), "stored steps that were never logged"
        lost_total += len(lost)
        if lost:
            worst_age = max(worst_age, killed_at - t.logged[lost[0]])
        log(f"sigkill trial {k}: logged {len(t.logged)}, lost {len(lost)}")
    return {
        "kill_trials": trials,
        "kill_lost_points": lost_total * 4,
        "kill_oldest_lost_s": worst_age,
        "flush_interval_s": settings.flush_interval(),
    }


def _serve(url: str, port: int, log_path: Path) -> subprocess.Popen[bytes]:
    env = dict(os.environ, TRAINBOARD_DB=url)
    env.pop("TRAINBOARD_URL", None)
    return subprocess.Popen(
        [
            *(sys.executable, "-m", "uvicorn", "--factory", "trainboard.server.app:create_app"),
            *("--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"),
        ],
        env=env,
        stdout=open(log_path, "ab"),
        stderr=subprocess.STDOUT,
    )


def _wait_http(base: str, timeout: float = 60) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/api/v1/runs?limit=1", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"server at {base} not ready")


def outage(d: Path, quick: bool) -> dict[str, Any]:
    from bench.common import free_port

    down_s = 5.0 if quick else 60.0
    url = f"sqlite:///{d / 'server.db'}"
    open_store(url).close()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    srv = _serve(url, port, d / "server.log")
    _wait_http(base)
    env = dict(os.environ, TRAINBOARD_URL=base, TRAINBOARD_SYSTEM_INTERVAL="0")
    env.pop("TRAINBOARD_DB", None)
    t = _Trainer(down_s + 6, env, d / "trainer.log")
    try:
        t.wait_steps(1000)
        srv.terminate()
        srv.wait(30)
        log(f"outage: server down for {down_s:.0f} s")
        time.sleep(down_s)  # the outage itself: the thing being measured is its length
        srv = _serve(url, port, d / "server.log")
        _wait_http(base)
        t.join(down_s + 120)
    finally:
        if t.proc.poll() is None:
            t.proc.kill()
    if not t.done:
        srv.terminate()
        raise RuntimeError(f"trainer did not finish: see {d / 'trainer.log'}")
    stored = _stored_steps(url, t.run_id)
    srv.terminate()
    srv.wait(30)
    lost = set(t.logged) - stored
    times = sorted(t.logged.values())
    stall = max((b - a for a, b in zip(times, times[1:], strict=False)), default=0.0)
    return {
        "outage_max_stall_s": stall,
        "outage_s": down_s,
        "outage_logged_points": len(t.logged) * 4,
        "outage_lost_points": len(lost) * 4,
    }


def faults(d: Path, quick: bool) -> dict[str, Any]:
    import sqlite3

    os.environ["TRAINBOARD_SYSTEM_INTERVAL"] = "0"
    import trainboard

    seconds = 1.0 if quick else 3.0
    db = d / "tb.db"
    payloads = [{"loss": 1.0 / (i + 1), "lr": 1e-4, "gn": 0.5, "tok": i * 8.0} for i in range(4096)]
    longest = 0.0
    calls = 0

    def train(run: Any, until: float) -> None:
        nonlocal longest, calls
        log, clock = run.log, time.perf_counter
        while clock() < until:
            for i in range(1000):
                t0 = clock()
                log(payloads[(calls + i) & 4095])
                dt = clock() - t0
                if dt > longest:
                    longest = dt
            calls += 1000

    run = trainboard.init(project="bench", name="faults", store=f"sqlite:///{db}")
    train(run, time.perf_counter() + seconds)  # healthy
    lock = sqlite3.connect(db, isolation_level=None, timeout=30)
    lock.execute("BEGIN EXCLUSIVE")  # another process holds the write lock: a transient fault
    train(run, time.perf_counter() + seconds)
    lock.execute("COMMIT")
    assert run.flush(60)
    with open_store(f"sqlite:///{db}") as s:
        s.delete_runs([run.id])  # deleted while it logs
    train(run, time.perf_counter() + seconds)
    run2 = trainboard.init(project="bench", name="faults-2", store=f"sqlite:///{db}")
    train(run2, time.perf_counter() + seconds / 2)
    lock.execute("BEGIN EXCLUSIVE")  # and locked again when finish() is called
    t0 = time.perf_counter()
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run.finish()
        run2.finish()
    finish_s = time.perf_counter() - t0
    lock.execute("COMMIT")
    lock.close()
    # the same loop around a plain dict.update: what this machine's scheduler alone costs
    fault_longest, longest = longest, 0.0

    class _Plain:
        log = {}.update

    train(_Plain(), time.perf_counter() + seconds)
    return {
        "faults_longest_log_ms": fault_longest * 1000,
        "faults_plain_loop_longest_ms": longest * 1000,
        "faults_log_calls": calls,
        "faults_finish_s": finish_s,
    }


if __name__ == "__main__":
    workload_main({"sigkill": sigkill, "outage": outage, "faults": faults})
