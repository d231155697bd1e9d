"""trainboard's SDK workloads: log() cost in the caller, and ingest end to end (log -> SQLite).

Run as `python -m bench.tb_sdk WORKLOAD --dir DIR [--quick]`; prints one JSON line.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from bench.common import median_call_us, rows, size, workload_main


def _init(d: Path, name: str) -> Any:
    os.environ["TRAINBOARD_SYSTEM_INTERVAL"] = "0"  # no sampler thread competing for the GIL
    import trainboard

    d.mkdir(parents=True, exist_ok=True)
    return trainboard.init(project="bench", name=name, store=f"sqlite:///{d / 'tb.db'}")


def log_cost(d: Path, quick: bool) -> dict[str, Any]:
    run = _init(d / "log", "log")
    payloads = rows()
    log = run.log
    us, n = median_call_us(
        lambda i: log(payloads[i & 4095], step=i),
        max_calls=size("log_calls", quick),
        max_seconds=size("log_seconds", quick),
    )
    run.finish()
    return {"log_us": us, "log_calls": n, "how": "run.log(4)"}


def ingest(d: Path, quick: bool) -> dict[str, Any]:
    """log() of 4 scalars per step as fast as the caller can, until finish() returns (durable)."""
    data = rows(size("ingest_steps", quick))
    run = _init(d / "ingest", "ingest")
    base = _db_bytes(d / "ingest")
    t0 = time.perf_counter()
    log = run.log
    for i in range(len(data)):
        log(data[i], step=i)
    run.finish()
    dt = time.perf_counter() - t0
    from trainboard.store import open_store

    with open_store(f"sqlite:///{d / 'ingest' / 'tb.db'}") as store:
        got = store.get_run(run.id).summary["lr"].count
    points = len(data) * 4
    assert got == len(data), (got, len(data))
    return {
        "ingest_pps": points / dt,
        "ingest_points": points,
        "bytes_per_point": (_db_bytes(d / "ingest") - base) / points,
    }


def _db_bytes(d: Path) -> int:
    return sum(p.stat().st_size for p in d.glob("tb.db*"))


if __name__ == "__main__":
    workload_main({"log_cost": log_cost, "ingest": ingest})
