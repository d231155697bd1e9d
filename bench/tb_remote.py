"""Remote ingest (#12, #23, DESIGN.md): 8 or 32 training processes log through one trainboard
server, or two replicas on the same database, backed by PostgreSQL (TRAINBOARD_URL), as fast as
their loops go. With two replicas, clients alternate between them.

Measured: points per second the server accepted (from the first log() of any client until the
last client's finish() returned; the points counted are those the server holds), points lost
(logged but not stored), and the longest log() call in any client. Needs PostgreSQL
(TRAINBOARD_TEST_PG names the server; a fresh database is made for the run).

Run as `python -m bench.tb_remote ingest8|ingest32|ingest8x2|ingest32x2 --dir DIR [--quick]`;
prints one JSON line.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

from bench.common import server, workload_main

_CLIENT = """
import json, os, sys, time, trainboard
steps = int(sys.argv[1])
run = trainboard.init(project="bench", name=f"client-{os.getpid()}")
print("ready", flush=True)
sys.stdin.readline()  # every client starts logging together: start-up is not ingest
payload = [{"loss": 1.0 / (i + 1), "lr": 1e-4, "gn": 0.5, "tok": i * 8.0} for i in range(4096)]
log, clock, worst = run.log, time.perf_counter, 0.0
began = time.time()
for i in range(steps):
    t0 = clock()
    log(payload[i & 4095], step=i)
    dt = clock() - t0
    if dt > worst:
        worst = dt
run.finish()
print(json.dumps({"run": run.id, "worst_ms": worst * 1000, "began": began, "ended": time.time()}))
"""


def _fresh_pg() -> str:
    import psycopg

    admin = os.environ.get("TRAINBOARD_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
    name = f"tb_remote_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return admin.rsplit("/", 1)[0] + "/" + name


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
        bases = [stack.enter_context(server(db, d / f"server{r}.log")) for r in range(replicas)]
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
        for p in procs:
            assert p.stdin is not None
            p.stdin.write("go\n")
            p.stdin.flush()
        outs = [json.loads(p.communicate(timeout=1200)[0].strip().splitlines()[-1]) for p in procs]
        # from the first log() of any client to the last finish(): process start-up not counted
        seconds = max(o["ended"] for o in outs) - min(o["began"] for o in outs)
    with open_store(db) as store:
        stored = sum(sum(s.count for s in store.get_run(o["run"]).summary.values()) for o in outs)
    logged = clients * steps * 4
    return {
        "remote_clients": clients,
        "remote_replicas": replicas,
        "remote_points": logged,
        "remote_pps": stored / seconds,
        "remote_lost_points": logged - stored,
        "remote_longest_log_ms": max(o["worst_ms"] for o in outs),
    }


if __name__ == "__main__":
    workload_main(
        {"ingest8": ingest8, "ingest32": ingest32, "ingest8x2": ingest8x2, "ingest32x2": ingest32x2}
    )
