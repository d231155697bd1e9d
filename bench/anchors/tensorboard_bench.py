"""TensorBoard anchor: torch.utils.tensorboard.SummaryWriter to write, EventAccumulator to read.

Run with the project venv's python (it has torch and the same tensorboard pin as the anchors).
"""

from __future__ import annotations

import random
import time
from pathlib import Path
from typing import Any

from _common import (
    READ_KEY,
    child_loop,
    dir_bytes,
    free_port,
    http_json,
    kill_test,
    log,
    main,
    median_call_us,
    median_ms,
    rows,
    size,
    timed_steps,
    values,
    wait_for,
)


def _writer(d: Path) -> Any:
    from torch.utils.tensorboard import SummaryWriter

    return SummaryWriter(str(d))


def log_cost(d: Path, quick: bool) -> dict[str, Any]:
    w = _writer(d / "log")
    payloads = rows()

    def call(i: int) -> None:
        for k, v in payloads[i & 4095].items():
            w.add_scalar(k, v, i)

    us, n = median_call_us(
        call, max_calls=size("log_calls", quick), max_seconds=size("log_seconds", quick)
    )
    w.close()
    return {"log_us": us, "log_calls": n, "how": "4 x add_scalar"}


def ingest(d: Path, quick: bool) -> dict[str, Any]:
    data = rows(size("ingest_steps", quick))
    w = _writer(d / "ingest")
    t0 = time.perf_counter()
    steps = 0
    for i in timed_steps(len(data), size("ingest_seconds", quick)):
        for k, v in data[i].items():
            w.add_scalar(k, v, i)
        steps += 1
    w.close()  # flushes the event file: durable from here
    dt = time.perf_counter() - t0
    points = steps * 4
    return {
        "ingest_pps": points / dt,
        "ingest_points": points,
        "bytes_per_point": dir_bytes(d / "ingest") / points,
    }


def _write_series(d: Path, quick: bool) -> int:
    w = _writer(d)
    rng = random.Random(0)
    n = 0
    for i in timed_steps(size("read_points", quick), size("write_seconds", quick)):
        w.add_scalar(READ_KEY, values(i, rng)[READ_KEY], i)
        n += 1
    w.close()
    return n


def read(d: Path, quick: bool) -> dict[str, Any]:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    n = _write_series(d / "read", quick)
    log(f"tensorboard: wrote {n} points")
    t0 = time.perf_counter()
    acc = EventAccumulator(str(d / "read"), size_guidance={"scalars": 0})  # 0 = keep all
    acc.Reload()
    events = acc.Scalars(READ_KEY)
    dt = time.perf_counter() - t0
    assert len(events) == n, (len(events), n)
    return {"read_whole_ms": dt * 1000, "read_points": n, "how": "EventAccumulator.Reload+Scalars"}


def _write_runs(d: Path, count: int) -> None:
    """`count` small runs (4 tags x 20 points), one log directory each."""
    payloads = rows(20)
    for r in range(count):
        w = _writer(d / f"run-{r:05d}")
        for i, p in enumerate(payloads):
            for k, v in p.items():
                w.add_scalar(k, v, i * 50)
        w.close()


def serve(d: Path, quick: bool) -> dict[str, Any]:
    """TensorBoard's own server (`tensorboard --logdir`, Python loader) on the same series and
    on many small runs: GET /data/plugin/scalars/scalars (TensorBoard keeps a 1,000-point
    reservoir sample per series: its downsampled answer) and GET /data/runs (names only)."""
    import subprocess
    import sys
    import urllib.parse

    runs = 200 if quick else 1000
    n = _write_series(d / "logs" / "series", quick)
    _write_runs(d / "logs", runs)
    log(f"tensorboard: wrote {n} points and {runs} runs")
    port = free_port()
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tensorboard.main",
            "--logdir",
            str(d / "logs"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--load_fast=false",
            "--reload_interval=0",
        ],
        stdout=subprocess.DEVNULL,
        stderr=open(d / "server.log", "wb"),
    )
    base = f"http://127.0.0.1:{port}"
    url = f"{base}/data/plugin/scalars/scalars?" + urllib.parse.urlencode(
        {"run": "series", "tag": READ_KEY}
    )
    try:
        wait_for(lambda: http_json(url)[-1][1] == n - 1, 600, "the series to load")
        wait_for(lambda: len(http_json(f"{base}/data/runs")) == runs + 1, 600, "every run")
        load_s = time.perf_counter() - t0
        ds_ms, body = median_ms(lambda: http_json(url), 10)
        list_ms, names = median_ms(lambda: http_json(f"{base}/data/runs"), 10)
    finally:
        proc.terminate()
        proc.wait(30)
    return {
        "api_ds_ms": ds_ms,
        "api_ds_points": len(body),
        "read_points": n,
        "server_load_s": load_s,
        "list_runs": len(names),
        "list_all_ms": list_ms,
        "how": "tensorboard server: /data/plugin/scalars/scalars, /data/runs",
    }


def _child(d: Path, quick: bool) -> dict[str, Any]:
    w = _writer(d / "logs")  # SummaryWriter defaults: max_queue=10, flush_secs=120

    def step(i: int, p: dict[str, float]) -> None:
        for k, v in p.items():
            w.add_scalar(k, v, i)

    child_loop(step)
    return {}


def kill(d: Path, quick: bool) -> dict[str, Any]:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    def stored(cd: Path) -> set[int]:
        acc = EventAccumulator(str(cd / "logs"), size_guidance={"scalars": 0})
        acc.Reload()
        if READ_KEY not in acc.Tags()["scalars"]:
            return set()
        return {e.step for e in acc.Scalars(READ_KEY)}

    return kill_test(__file__, d, stored, quick)


if __name__ == "__main__":
    main(
        {
            "log_cost": log_cost,
            "ingest": ingest,
            "read": read,
            "serve": serve,
            "_child": _child,
            "kill": kill,
        }
    )
