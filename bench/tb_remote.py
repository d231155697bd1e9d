"""Remote ingest (#12, #23, DESIGN.md): 8 or 32 training processes log through one trainboard
server, or two replicas on the same database, backed by PostgreSQL (TRAINBOARD_URL), as fast as
their loops go. With two replicas, clients alternate between them.

Measured: points per second the server accepted (from the first log() of any client until the
last client's finish() returned; the points counted are those the server holds), points lost
(logged but not stored), and the longest log() call in any client. Needs PostgreSQL
(TRAINBOARD_TEST_PG names the server; a fresh database is made for the run).

CPU: what each side spent while the clients logged, in CPU-seconds per million points stored:
the clients (their own log() loop, journal, writer and sender threads: CPU time of each process
from the go signal to the end of finish(); `..._client_loops` is the part spent in the loop of
log() calls itself, the training thread), the server processes, and the PostgreSQL backends
serving this database (from /proc). The servers also spend CPU per second whatever comes in
(the live poller reads the running runs five times a second): that rate is sampled for
IDLE_SECONDS before the clients start (`remote_server_idle_cores`) and taken out of
`..._server_above_idle`, since on a loaded host the run lasts longer and that share grows.

These survive a loaded host where points/s does not: on an otherwise free machine of C cores
the pipeline carries at most C / (total CPU-s per point) points per second
(`remote_pps_if_free_2_cores` says that for 2). The load average during the run and the CPU
the rest of the machine used in the same window (`remote_others_cores`) say how loaded the
host was.

Lost is logged minus stored (the summaries' counts); every series is also read back and compared
point by point with what its client logged (`remote_wrong_points`: steps or values that differ).

Run as `python -m bench.tb_remote ingest8|ingest32|ingest8x2|ingest32x2 --dir DIR [--quick]`;
prints one JSON line. `apply_cpu` times the server's ingest function alone, in process (see
there).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import server_process, workload_main

_CLIENT = """
import json, os, sys, time, trainboard
steps = int(sys.argv[1])
run = trainboard.init(project="bench", name=f"client-{os.getpid()}")
print("ready", flush=True)
sys.stdin.readline()  # every client starts logging together: start-up is not ingest
cpu0, main0 = time.process_time(), time.thread_time()  # all threads; the loop's own
payload = [{"loss": 1.0 / (i + 1), "lr": 1e-4, "gn": 0.5, "tok": i * 8.0} for i in range(4096)]
log, clock, worst = run.log, time.perf_counter, 0.0
began = time.time()
for i in range(steps):
    t0 = clock()
    log(payload[i & 4095], step=i)
    dt = clock() - t0
    if dt > worst:
        worst = dt
main_cpu = time.thread_time() - main0
run.finish()
ended = time.time()
print(json.dumps({"run": run.id, "worst_ms": worst * 1000, "began": began, "ended": ended,
                  "cpu_s": time.process_time() - cpu0, "loop_cpu_s": main_cpu}))
"""


def _fresh_pg() -> str:
    import psycopg

    admin = os.environ.get("TRAINBOARD_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
    name = f"tb_remote_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return admin.rsplit("/", 1)[0] + "/" + name


def _drop_pg(db: str) -> None:
    """Drop a database _fresh_pg made (a full-size run leaves ~100 MB on the shared server)."""
    import psycopg

    admin = os.environ.get("TRAINBOARD_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{db.rsplit("/", 1)[1]}" WITH (FORCE)')


_TICK = os.sysconf("SC_CLK_TCK")

IDLE_SECONDS = 3.0
"""How long the servers' CPU is sampled with every run open and no client logging."""


def _cpu_of(pid: int) -> float:
    """CPU-seconds (user + system, all threads) a live process has used, from /proc."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:  # gone already: counted as nothing more
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICK


def _machine_busy() -> float:
    """CPU-seconds every core of the host has spent busy since boot (not idle, not iowait)."""
    with open("/proc/stat") as f:
        ticks = [int(x) for x in f.readline().split()[1:]]
    return (sum(ticks[:8]) - ticks[3] - ticks[4]) / _TICK


def _pg_backends(db: str) -> list[int]:
    """The PostgreSQL backends serving `db`, but the one asking."""
    import psycopg

    name = db.rsplit("/", 1)[1]
    with psycopg.connect(db, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        ).fetchall()
    return [int(r[0]) for r in rows]


class _Load:
    """The host's 1-minute load average, sampled every half second while a run lasts."""

    def __init__(self) -> None:
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while True:
            self.samples.append(os.getloadavg()[0])
            if self._stop.wait(0.5):
                return

    def stop(self) -> tuple[float, float]:
        """Mean and largest sample."""
        self._stop.set()
        self._thread.join()
        return sum(self.samples) / len(self.samples), max(self.samples)


def _wrong_points(db: str, runs: list[str], steps: int) -> int:
    """Points stored other than the client logged them: every series read back whole and
    compared step by step, value by value, with the client's payload (see _CLIENT)."""
    from trainboard.store import open_store

    i = np.arange(steps, dtype=np.int64)
    j = (i & 4095).astype(np.float64)
    want = {"loss": 1.0 / (j + 1), "lr": np.full(steps, 1e-4), "gn": np.full(steps, 0.5)}
    want["tok"] = j * 8.0
    wrong = 0
    with open_store(db) as store:
        for run in runs:
            for key, values in want.items():
                s = store.read_series(run, key)
                if s.steps.shape[0] != steps:
                    wrong += abs(steps - int(s.steps.shape[0]))
                    continue
                wrong += int(np.count_nonzero((s.steps != i) | (s.values != values)))
    return wrong


def ingest8(d: Path, quick: bool) -> dict[str, Any]:
    return _ingest(d, quick, clients=8, replicas=1)


def ingest32(d: Path, quick: bool) -> dict[str, Any]:
    return _ingest(d, quick, clients=32, replicas=1)


def ingest8x2(d: Path, quick: bool) -> dict[str, Any]:
    return _ingest(d, quick, clients=8, replicas=2)


def ingest32x2(d: Path, quick: bool) -> dict[str, Any]:
    return _ingest(d, quick, clients=32, replicas=2)


def _ingest(d: Path, quick: bool, clients: int, replicas: int) -> dict[str, Any]:
    from contextlib import ExitStack

    from trainboard.store import open_store

    steps = 5_000 if quick else 50_000
    db = _fresh_pg()
    open_store(db).close()
    with ExitStack() as stack:
        servers = [
            stack.enter_context(server_process(db, d / f"server{r}.log")) for r in range(replicas)
        ]
        bases = [base for base, _ in servers]
        env = dict(os.environ, TRAINBOARD_SYSTEM_INTERVAL="0")
        env.pop("TRAINBOARD_DB", None)
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", _CLIENT, str(steps)],
                env=dict(
                    env, TRAINBOARD_HOME=str(d / f"client{k}"), TRAINBOARD_URL=bases[k % replicas]
                ),  # fmt: skip
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=open(d / f"client{k}.log", "wb"),
                text=True,
            )
            for k in range(clients)
        ]
        for p in procs:  # imported trainboard and made its run
            assert p.stdout is not None and p.stdout.readline().strip() == "ready"
        backends = _pg_backends(db)
        load = _Load()
        # the servers' CPU with the runs open and nobody logging: the live poller's reads,
        # paid per second whatever the points, and so left out of the per-point figure
        idle0, t0 = sum(_cpu_of(p.pid) for _, p in servers), time.monotonic()
        time.sleep(IDLE_SECONDS)
        idle_rate = (sum(_cpu_of(p.pid) for _, p in servers) - idle0) / (time.monotonic() - t0)
        server_cpu0 = sum(_cpu_of(p.pid) for _, p in servers)
        pg_cpu0 = {pid: _cpu_of(pid) for pid in backends}
        busy0, wall0 = _machine_busy(), time.monotonic()
        for p in procs:
            assert p.stdin is not None
            p.stdin.write("go\n")
            p.stdin.flush()
        outs = [json.loads(p.communicate(timeout=1200)[0].strip().splitlines()[-1]) for p in procs]
        busy1, wall1 = _machine_busy(), time.monotonic()
        server_cpu = sum(_cpu_of(p.pid) for _, p in servers) - server_cpu0
        # backends the servers' pools opened during the run count from nothing
        pg_cpu = sum(_cpu_of(pid) - pg_cpu0.get(pid, 0.0) for pid in _pg_backends(db))
        load_mean, load_max = load.stop()
        # from the first log() of any client to the last finish(): process start-up not counted
        seconds = max(o["ended"] for o in outs) - min(o["began"] for o in outs)
    with open_store(db) as store:
        stored = sum(sum(s.count for s in store.get_run(o["run"]).summary.values()) for o in outs)
    wrong = _wrong_points(db, [o["run"] for o in outs], steps)
    _drop_pg(db)
    logged = clients * steps * 4
    client_cpu = sum(o["cpu_s"] for o in outs)
    per_m = 1e6 / max(stored, 1)
    ours = client_cpu + server_cpu + pg_cpu
    return {
        "remote_clients": clients,
        "remote_replicas": replicas,
        "remote_points": logged,
        "remote_pps": stored / seconds,
        "remote_lost_points": logged - stored,
        "remote_wrong_points": wrong,
        "remote_longest_log_ms": max(o["worst_ms"] for o in outs),
        "remote_seconds": seconds,
        "remote_cpu_s_per_m_clients": client_cpu * per_m,
        # of which the clients' own loops of log() calls (the training thread)
        "remote_cpu_s_per_m_client_loops": sum(o["loop_cpu_s"] for o in outs) * per_m,
        "remote_cpu_s_per_m_server": server_cpu * per_m,
        "remote_server_idle_cores": idle_rate,
        "remote_cpu_s_per_m_server_above_idle": (server_cpu - idle_rate * seconds) * per_m,
        "remote_cpu_s_per_m_postgres": pg_cpu * per_m,
        "remote_cpu_s_per_m_total": ours * per_m,
        "remote_pps_if_free_2_cores": 2 * stored / ours if ours else None,
        "remote_others_cores": (busy1 - busy0 - ours) / (wall1 - wall0),
        "remote_load_mean": load_mean,
        "remote_load_max": load_max,
        "remote_cores": os.cpu_count(),
    }


def apply_cpu(d: Path, quick: bool) -> dict[str, Any]:
    """The server's own CPU per point, without HTTP, clients or a load that comes and goes:
    the ingest route's function (`_ingest`: parse the body, check each op, write the points)
    applies the batches 8 clients send into a fresh PostgreSQL database, in this process,
    timed with its CPU clock. Each op holds 2,000 steps × 4 keys (the SDK's flush at ~20 k
    log() calls a second); measured with 1 op per batch (a server keeping up) and 4 (a
    server behind, whose clients send what queued meanwhile)."""
    from trainboard.server.ownership import LOCAL, Owners, Who
    from trainboard.server.routes.ingest import IngestLog, _ingest
    from trainboard.store import open_store
    from trainboard.store.records import PointBatch, RunRecord
    from trainboard.store.remote import wire

    clients, steps, per = 8, (10_000 if quick else 50_000), 2_000
    out: dict[str, Any] = {}
    for ops_per_batch in (1, 4):
        db = _fresh_pg()
        with open_store(db) as store:
            log, owners, who = IngestLog(), Owners(store), Who(LOCAL, "admin")
            runs = [f"apply{k}" for k in range(clients)]
            for k, run in enumerate(runs):
                op = wire.create_run_op(RunRecord(id=run, project="bench", name=run))
                _ingest(store, log, b'{"client":"c%d","seq":0,"ops":[%s]}' % (k, op), who, owners)
            ops: list[list[bytes]] = [[] for _ in runs]
            for start in range(0, steps, per):
                s = np.arange(start, min(steps, start + per), dtype=np.int64)
                t = 1.7e9 + s * 0.001
                j = (s & 4095).astype(np.float64)
                values = {"loss": 1 / (j + 1), "lr": j * 0 + 1e-4, "gn": j * 0 + 0.5, "tok": j * 8}
                for k, run in enumerate(runs):
                    batches = {key: PointBatch(s, t, v) for key, v in values.items()}
                    ops[k].append(wire.points_op(run, batches))
            bodies = [
                b'{"client":"c%d","seq":%d,"ops":[%s]}'
                % (k, 1 + i, b",".join(ops[k][i : i + ops_per_batch]))
                for i in range(0, len(ops[0]), ops_per_batch)
                for k in range(clients)
            ]
            cpu0 = time.process_time()
            for body in bodies:
                _ingest(store, log, body, who, owners)
            cpu = time.process_time() - cpu0
            stored = sum(sum(m.count for m in store.get_run(r).summary.values()) for r in runs)
        _drop_pg(db)
        assert stored == clients * steps * 4, (stored, clients * steps * 4)
        out[f"apply_cpu_s_per_m_{ops_per_batch}_ops_per_batch"] = cpu / stored * 1e6
    out["apply_load"] = os.getloadavg()[0]
    return out


if __name__ == "__main__":
    workload_main(
        {
            "ingest8": ingest8,
            "ingest32": ingest32,
            "ingest8x2": ingest8x2,
            "ingest32x2": ingest32x2,
            "apply_cpu": apply_cpu,
        }
    )
