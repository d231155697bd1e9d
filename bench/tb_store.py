"""trainboard's store workloads on SQLite: sustained ingest, bytes per point, series reads.

Run as `python -m bench.tb_store WORKLOAD --dir DIR [--quick]`; prints one JSON line.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from bench.common import KEYS, READ_KEY, log, median_ms, seed_run, series_batch, workload_main
from trainboard.store import open_store
from trainboard.store.records import RunRecord


def _db_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


def ingest(d: Path, quick: bool) -> dict[str, Any]:
    """Batches of 4 keys x 10,000 points (one busy writer flush), until close() returns."""
    steps_total = 200_000 if quick else 1_000_000
    per_call = 10_000
    db = d / "ingest.db"
    store = open_store(f"sqlite:///{db}")
    store.create_run(RunRecord(id="a" * 12, project="bench", name="ingest", created_at=time.time()))
    base = _db_bytes(db)
    batches = [
        {k: series_batch(k, s, per_call) for k in KEYS} for s in range(0, steps_total, per_call)
    ]  # made before the clock starts: the workload is the store, not numpy
    t0 = time.perf_counter()
    for b in batches:
        store.write_points("a" * 12, b)
    store.close()
    dt = time.perf_counter() - t0
    points = steps_total * len(KEYS)
    with open_store(f"sqlite:///{db}") as s2:
        got = s2.get_run("a" * 12).summary[READ_KEY].count
    assert got == steps_total, (got, steps_total)
    return {
        "ingest_pps": points / dt,
        "ingest_points": points,
        "bytes_per_point": (_db_bytes(db) - base) / points,
    }


def read(d: Path, quick: bool) -> dict[str, Any]:
    """One 1,000,000-point series: whole, and downsampled to 2,000 (by step and by time)."""
    n = 1_000_000
    db = d / "read.db"
    with open_store(f"sqlite:///{db}") as store:
        seed_run(store, "b" * 12, points=n, keys=(READ_KEY,))
    log(f"trainboard store: seeded {n} points")
    reps = 3 if quick else 7
    with open_store(f"sqlite:///{db}") as store:
        whole_ms, s = median_ms(lambda: store.read_series("b" * 12, READ_KEY), reps)
        assert len(s) == n, len(s)
        ds_ms, s = median_ms(
            lambda: store.read_series("b" * 12, READ_KEY, max_points=2000), reps * 3
        )
        assert 0 < len(s) <= 2001 and s.downsampled, (len(s), s.downsampled)
        ds_time_ms, _ = median_ms(
            lambda: store.read_series("b" * 12, READ_KEY, max_points=2000, x="time"), reps * 3
        )
    return {
        "read_whole_ms": whole_ms,
        "read_ds_ms": ds_ms,
        "read_ds_time_ms": ds_time_ms,
        "read_ds_points": len(s),
        "read_points": n,
    }


if __name__ == "__main__":
    workload_main({"ingest": ingest, "read": read})
