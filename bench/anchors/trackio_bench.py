"""trackio anchor: trackio.log of 4 scalars per step into its local SQLite, read back with its
own SQLiteStorage.get_metric_values (whole, and with max_points=2000 evenly subsampled)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from _common import (
    READ_KEY,
    child_loop,
    dir_bytes,
    kill_test,
    log,
    main,
    median_call_us,
    rows,
    size,
    timed_steps,
)


def _trackio(d: Path) -> Any:
    # TRACKIO_DIR is read when trackio is imported, so it is set first.
    d.mkdir(parents=True, exist_ok=True)
    os.environ["TRACKIO_DIR"] = str(d)
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    import trackio

    return trackio


def log_cost(d: Path, quick: bool) -> dict[str, Any]:
    trackio = _trackio(d / "log")
    trackio.init(project="bench", name="log", auto_log_cpu=False, auto_log_gpu=False)
    payloads = rows()
    us, n = median_call_us(
        lambda i: trackio.log(payloads[i & 4095], step=i),
        max_calls=size("log_calls", quick),
        max_seconds=size("log_seconds", quick),
    )
    trackio.finish()
    return {"log_us": us, "log_calls": n, "how": "trackio.log(4)"}


def ingest(d: Path, quick: bool) -> dict[str, Any]:
    trackio = _trackio(d / "ingest")
    data = rows(size("ingest_steps", quick))
    trackio.init(project="bench", name="ingest", auto_log_cpu=False, auto_log_gpu=False)
    t0 = time.perf_counter()
    steps = 0
    for i in timed_steps(len(data), size("ingest_seconds", quick)):
        trackio.log(data[i], step=i)
        steps += 1
    trackio.finish()  # waits for the background sender: durable from here
    dt = time.perf_counter() - t0
    from trackio.sqlite_storage import SQLiteStorage

    got = len(SQLiteStorage.get_metric_values("bench", "ingest", "lr"))
    assert got == steps, (got, steps)
    points = steps * 4
    return {
        "ingest_pps": points / dt,
        "ingest_points": points,
        "bytes_per_point": dir_bytes(d / "ingest") / points,
    }


def read(d: Path, quick: bool) -> dict[str, Any]:
    trackio = _trackio(d / "read")
    from trackio.sqlite_storage import SQLiteStorage

    trackio.init(project="bench", name="read", auto_log_cpu=False, auto_log_gpu=False)
    data = rows(4096)
    n = 0
    for i in timed_steps(size("read_points", quick), size("write_seconds", quick)):
        trackio.log({READ_KEY: data[i & 4095][READ_KEY]}, step=i)
        n += 1
    trackio.finish()
    log(f"trackio: wrote {n} points")
    t0 = time.perf_counter()
    whole = SQLiteStorage.get_metric_values("bench", "read", READ_KEY)
    dt = time.perf_counter() - t0
    assert len(whole) == n, (len(whole), n)
    t0 = time.perf_counter()
    ds = SQLiteStorage.get_metric_values("bench", "read", READ_KEY, max_points=2000)
    dt_ds = time.perf_counter() - t0
    return {
        "read_whole_ms": dt * 1000,
        "read_ds_ms": dt_ds * 1000,
        "read_ds_points": len(ds),
        "read_points": n,
        "how": "SQLiteStorage.get_metric_values",
    }


def _child(d: Path, quick: bool) -> dict[str, Any]:
    trackio = _trackio(d)
    trackio.init(project="bench", name="kill", auto_log_cpu=False, auto_log_gpu=False)
    child_loop(lambda i, p: trackio.log(p, step=i))
    return {}


def kill(d: Path, quick: bool) -> dict[str, Any]:
    def stored(cd: Path) -> set[int]:
        import subprocess
        import sys

        # TRACKIO_DIR is fixed at import: read each trial's folder in a fresh process.
        code = (
            "import json;from trackio.sqlite_storage import SQLiteStorage as S;"
            f"rs = S.get_metric_values('bench', 'kill', '{READ_KEY}');"
            "print(json.dumps([r['step'] for r in rs]))"
        )
        env = dict(os.environ, TRACKIO_DIR=str(cd))
        out = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        ).stdout
        return set(json.loads(out.strip().splitlines()[-1]))

    return kill_test(__file__, d, stored, quick)


if __name__ == "__main__":
    main({"log_cost": log_cost, "ingest": ingest, "read": read, "_child": _child, "kill": kill})
