"""MLflow anchor: fluent log_metrics into a SQLite tracking store, MlflowClient to read.

log() cost is measured in MLflow's fastest mode, asynchronous logging (`synchronous=False`);
the synchronous default is measured too and reported beside it.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from _common import (
    READ_KEY,
    dir_bytes,
    emit,
    log,
    main,
    median_call_us,
    rows,
    size,
    timed_steps,
)

os.environ.setdefault("MLFLOW_ENABLE_ASYNC_LOGGING", "false")
os.environ["GIT_PYTHON_REFRESH"] = "quiet"


def _mlflow(d: Path) -> Any:
    import mlflow

    d.mkdir(parents=True, exist_ok=True)
    mlflow.set_tracking_uri(f"sqlite:///{d / 'mlflow.db'}")
    mlflow.set_experiment("bench")
    return mlflow


def log_cost(d: Path, quick: bool) -> dict[str, Any]:
    mlflow = _mlflow(d / "log")
    payloads = rows()
    out: dict[str, Any] = {"how": "log_metrics(4, synchronous=False)"}
    with mlflow.start_run():
        us, n = median_call_us(
            lambda i: mlflow.log_metrics(payloads[i & 4095], step=i, synchronous=False),
            max_calls=size("log_calls", quick),
            max_seconds=size("log_seconds", quick),
        )
        out |= {"log_us": us, "log_calls": n}
        us, n = median_call_us(
            lambda i: mlflow.log_metrics(payloads[i & 4095], step=10**7 + i, synchronous=True),
            max_calls=size("log_calls", quick),
            max_seconds=1.0,
            warmup=5,
        )
        out |= {"log_us_sync": us, "log_calls_sync": n}
        # Leave without draining MLflow's async queue (minutes at its ingest rate): the cost
        # in the caller is measured, and nothing here reads the points back.
        emit(out)
        os._exit(0)
    return out


def ingest(d: Path, quick: bool) -> dict[str, Any]:
    mlflow = _mlflow(d / "ingest")
    # MLflow drains a few thousand points a second into SQLite: a smaller ingest, same rate.
    data = rows(size("ingest_steps", quick) // 50)
    base = dir_bytes(d / "ingest")  # the empty tracking database MLflow made
    run = mlflow.start_run()
    t0 = time.perf_counter()
    steps = 0
    for i in timed_steps(len(data), size("ingest_seconds", quick)):
        mlflow.log_metrics(data[i], step=i, synchronous=False)
        steps += 1
    mlflow.end_run()  # waits for the async queue: durable from here
    dt = time.perf_counter() - t0
    del run
    points = steps * 4
    from mlflow.tracking import MlflowClient

    got = len(MlflowClient().get_metric_history(mlflow.last_active_run().info.run_id, "lr"))
    assert got == steps, (got, steps)
    return {
        "ingest_pps": points / dt,
        "ingest_points": points,
        "bytes_per_point": (dir_bytes(d / "ingest") - base) / points,
    }


def read(d: Path, quick: bool) -> dict[str, Any]:
    mlflow = _mlflow(d / "read")
    from mlflow.entities import Metric
    from mlflow.tracking import MlflowClient

    client = MlflowClient()
    run_id = mlflow.start_run().info.run_id
    now = int(time.time() * 1000)
    n = 0
    total = size("read_points", quick)
    data = rows(4096)
    deadline = time.perf_counter() + size("write_seconds", quick)
    while n < total and time.perf_counter() < deadline:
        batch = [
            Metric(READ_KEY, data[i & 4095][READ_KEY], now + i, i)
            for i in range(n, min(n + 1000, total))
        ]
        client.log_batch(run_id, metrics=batch, synchronous=True)
        n += len(batch)
    mlflow.end_run()
    log(f"mlflow: wrote {n} points")
    t0 = time.perf_counter()
    hist = client.get_metric_history(run_id, READ_KEY)
    dt = time.perf_counter() - t0
    assert len(hist) == n, (len(hist), n)
    return {"read_whole_ms": dt * 1000, "read_points": n, "how": "get_metric_history"}


if __name__ == "__main__":
    main({"log_cost": log_cost, "ingest": ingest, "read": read})
