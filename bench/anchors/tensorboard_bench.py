"""TensorBoard anchor: torch.utils.tensorboard.SummaryWriter to write, EventAccumulator to read.

Run with the project venv's python (it has torch and tensorboard); see bench/README in RESULTS.md.
"""

from __future__ import annotations

import random
import time
from pathlib import Path
from typing import Any

from _common import (
    READ_KEY,
    dir_bytes,
    log,
    main,
    median_call_us,
    rows,
    size,
    timed_steps,
    values,
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


if __name__ == "__main__":
    main({"log_cost": log_cost, "ingest": ingest, "read": read})
