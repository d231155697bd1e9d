"""The Python API's reads (`trainboard.Api`, issue #14) against the store's own `read_series`:
one 1,000,000-point key read whole as numpy arrays and as a pandas DataFrame, and downsampled
to 2,000 points; then ranking 10,000 runs with `best_run` (the Compare page's ranking over
every run's summary). Best of several repeats, in-process, SQLite.

Run as `python -m bench.tb_api_read read --dir DIR [--quick]`; prints one JSON line.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from bench.common import KEYS, log, seed_run, workload_main
from trainboard.store import open_store
from trainboard.store.records import RunRecord

POINTS = 1_000_000


def _best_ms(fn: Any, repeats: int) -> float:
    fn()  # warm: imports, page cache
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best * 1000


def _pair(a: Any, b: Any, repeats: int) -> dict[str, float]:
    """a and b interleaved (the shared machine's load hits both alike), best of `repeats`,
    in wall time and in this process's CPU time."""
    a(), b()
    wall = {"a": float("inf"), "b": float("inf")}
    cpu = dict(wall)
    for _ in range(repeats):
        for name, fn in (("a", a), ("b", b)):
            t0, c0 = time.perf_counter(), time.process_time()
            fn()
            wall[name] = min(wall[name], time.perf_counter() - t0)
            cpu[name] = min(cpu[name], time.process_time() - c0)
    return {
        "a_ms": wall["a"] * 1000, "b_ms": wall["b"] * 1000,
        "a_cpu_ms": cpu["a"] * 1000, "b_cpu_ms": cpu["b"] * 1000,
    }  # fmt: skip


def _seed_runs(url: str, n: int) -> None:
    from trainboard.store.records import PointBatch

    with open_store(url) as store:
        for i in range(n):
            rid = f"{i:012x}"
            store.create_run(
                RunRecord(rid, "sweep", f"r{i}", model="m", status="finished", created_at=1.7e9 + i)
            )
            v = 1.0 + (i * 7919 % n) / n
            store.write_points(
                rid, {"eval/loss": PointBatch.of([1, 2], [1.7e9, 1.7e9 + 1], [v + 1, v])}
            )


def read(d: Path, quick: bool) -> dict[str, Any]:
    import trainboard

    url = f"sqlite:///{d / 'read.db'}"
    key = KEYS[0]
    with open_store(url) as store:
        seed_run(store, "a" * 12, points=POINTS, keys=(key,))
    log(f"seeded {POINTS:,} points")
    reps = 3 if quick else 7
    out: dict[str, Any] = {"points": POINTS}
    with trainboard.Api(url) as api:
        run = api.run("a" * 12)
        store = api.store
        whole = _pair(
            lambda: store.read_series(run.id, key),
            lambda: run.history(key, format="numpy"),
            reps,
        )
        frame = _pair(lambda: store.read_series(run.id, key), lambda: run.history(key), reps)
        down = _pair(
            lambda: store.read_series(run.id, key, max_points=2000),
            lambda: run.history(key, max_points=2000),
            reps,
        )
    for name, pair in (("numpy", whole), ("pandas", frame), ("2000", down)):
        out[f"read_series_{name}_ms"] = pair["a_ms"]
        out[f"history_{name}_ms"] = pair["b_ms"]
        out[f"history_{name}_vs_read_series"] = pair["b_ms"] / pair["a_ms"]
        out[f"history_{name}_vs_read_series_cpu"] = pair["b_cpu_ms"] / pair["a_cpu_ms"]
    n_runs = 2_000 if quick else 10_000
    runs_url = f"sqlite:///{d / 'runs.db'}"
    _seed_runs(runs_url, n_runs)
    log(f"seeded {n_runs:,} runs")
    with trainboard.Api(runs_url) as api:
        out["runs"] = n_runs
        out["best_run_ms"] = _best_ms(lambda: api.best_run(project="sweep"), 3)
        out["runs_len_ms"] = _best_ms(lambda: len(api.runs(project="sweep")), 3)
        out["runs_iter_ms"] = _best_ms(lambda: sum(1 for _ in api.runs(project="sweep")), 3)
    return out


if __name__ == "__main__":
    workload_main({"read": read})
