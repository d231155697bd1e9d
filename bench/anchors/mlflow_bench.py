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
    child_loop,
    dir_bytes,
    emit,
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
    wait_for,
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


def serve(d: Path, quick: bool) -> dict[str, Any]:
    """`mlflow server` on the same series and on many small runs: get-history (whole, paged),
    get-history-bulk-interval with max_results=2000 (MLflow's downsampled route, what its UI
    charts use), and runs/search (first page of 200, then all)."""
    import subprocess
    import sys
    import urllib.parse

    from mlflow.entities import Metric
    from mlflow.tracking import MlflowClient

    runs = 50 if quick else 200
    import _common

    _common.SIZES["write_seconds"] = (10.0, 4.0)  # its REST read of the whole is very slow
    out = read(d, quick)  # writes the series run (and times MlflowClient) in d/read
    n = out["read_points"]
    mlflow = _mlflow(d / "read")
    client = MlflowClient()
    exp = mlflow.get_experiment_by_name("bench").experiment_id
    series_run = client.search_runs([exp])[0].info.run_id
    data = rows(20)
    for r in range(runs):
        rid = client.create_run(exp, run_name=f"run-{r}").info.run_id
        now = int(time.time() * 1000)
        ms = [Metric(k, v, now, i * 50) for i, p in enumerate(data) for k, v in p.items()]
        client.log_batch(rid, metrics=ms, synchronous=True)
        client.set_terminated(rid)
    log(f"mlflow: wrote {n} points and {runs} runs")
    port = free_port()
    db = f"sqlite:///{d / 'read' / 'mlflow.db'}"
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mlflow",
            "server",
            "--backend-store-uri",
            db,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
        ],
        stdout=subprocess.DEVNULL,
        stderr=open(d / "server.log", "wb"),
    )
    base = f"http://127.0.0.1:{port}"
    q = urllib.parse.urlencode
    try:
        wait_for(
            lambda: http_json(f"{base}/api/2.0/mlflow/experiments/search?max_results=10"),
            120,
            "mlflow server",
        )
        ds_url = f"{base}/ajax-api/2.0/mlflow/metrics/get-history-bulk-interval?" + q(
            {"run_ids": series_run, "metric_key": READ_KEY, "max_results": 2000}
        )
        http_json(ds_url)
        load_s = time.perf_counter() - t0  # process start until the series is served

        def whole() -> int:
            got, token = 0, ""
            while True:
                args = {"run_id": series_run, "metric_key": READ_KEY, "max_results": 25000}
                page = http_json(
                    f"{base}/api/2.0/mlflow/metrics/get-history?"
                    + q(args | ({"page_token": token} if token else {}))
                )
                got += len(page.get("metrics", []))
                token = page.get("next_page_token", "")
                if not token:
                    return got

        whole_ms = None
        if not quick:  # once, and not with --quick: it takes minutes at MLflow's speed
            t0 = time.perf_counter()
            got = whole()
            whole_ms = (time.perf_counter() - t0) * 1000
            assert got == n, (got, n)
        ds_ms, body = median_ms(lambda: http_json(ds_url), 10)
        search = f"{base}/api/2.0/mlflow/runs/search"
        page_ms, _ = median_ms(
            lambda: http_json(search, {"experiment_ids": [exp], "max_results": 200}), 10
        )
        all_ms, res = median_ms(
            lambda: http_json(search, {"experiment_ids": [exp], "max_results": 1000}), 10
        )
    finally:
        proc.terminate()
        proc.wait(30)
    return {
        "api_whole_ms": whole_ms,
        "api_ds_ms": ds_ms,
        "api_ds_points": len(body.get("metrics", [])),
        "read_points": n,
        "list_runs": len(res["runs"]),
        "server_load_s": load_s,
        "list_page_ms": page_ms,
        "list_all_ms": all_ms,
        "how": "mlflow server: get-history, get-history-bulk-interval, runs/search",
    }


def _child(d: Path, quick: bool) -> dict[str, Any]:
    mlflow = _mlflow(d)
    mlflow.start_run(run_name="kill")
    child_loop(lambda i, p: mlflow.log_metrics(p, step=i))  # the default: synchronous
    return {}


def kill(d: Path, quick: bool) -> dict[str, Any]:
    from mlflow.tracking import MlflowClient

    def stored(cd: Path) -> set[int]:
        mlflow = _mlflow(cd)
        exp = mlflow.get_experiment_by_name("bench").experiment_id
        client = MlflowClient()
        run = client.search_runs([exp])[0].info.run_id
        return {m.step for m in client.get_metric_history(run, READ_KEY)}

    return kill_test(__file__, d, stored, quick)


def _outage_child(d: Path, quick: bool) -> dict[str, Any]:
    """Log 4 scalars every ~1 ms to the server in MLFLOW_TRACKING_URI (synchronous, the
    default) for OUTAGE_CHILD_SECONDS, printing each step's wall time after the call."""
    import mlflow

    mlflow.set_experiment("bench")
    payloads = rows()
    end = time.time() + float(os.environ["OUTAGE_CHILD_SECONDS"])
    with mlflow.start_run(run_name="outage") as run:
        print("run", run.info.run_id, flush=True)
        step = 0
        while time.time() < end:
            step += 1
            mlflow.log_metrics(payloads[step & 4095], step=step)
            print(step, time.time(), flush=True)
            time.sleep(0.001)
    print("done", step, flush=True)
    return {}


def _server(db: str, port: int, log_path: Path) -> Any:
    import subprocess
    import sys

    return subprocess.Popen(
        [sys.executable, "-m", "mlflow", "server", "--backend-store-uri", db]
        + ["--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
        stdout=subprocess.DEVNULL,
        stderr=open(log_path, "ab"),
    )


def outage(d: Path, quick: bool) -> dict[str, Any]:
    """The tracking server is stopped for 60 s (5 s quick) while a training process logs to
    it, then started again on the same port: points lost, and the longest stall of the
    training loop (a log call that blocked)."""
    import subprocess
    import sys
    import threading

    from mlflow.tracking import MlflowClient

    down_s = 5.0 if quick else 60.0
    db = f"sqlite:///{d / 'mlflow.db'}"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    search = f"{base}/api/2.0/mlflow/experiments/search?max_results=10"
    srv = _server(db, port, d / "server.log")
    wait_for(lambda: http_json(search), 120, "mlflow server")
    env = dict(os.environ, MLFLOW_TRACKING_URI=base, OUTAGE_CHILD_SECONDS=str(down_s + 6))
    child = subprocess.Popen(
        [sys.executable, __file__, "_outage_child", "--dir", str(d)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=open(d / "child.log", "wb"),
        text=True,
    )
    logged: dict[int, float] = {}
    info: dict[str, str] = {}

    def read() -> None:
        assert child.stdout is not None
        for line in child.stdout:
            a, _, b = line.strip().partition(" ")
            if a.isdigit():
                logged[int(a)] = float(b)
            else:
                info[a] = b

    t = threading.Thread(target=read, daemon=True)
    t.start()
    try:
        wait_for(lambda: len(logged) >= 20 or child.poll() is not None, 120, "logging")
        srv.terminate()
        srv.wait(30)
        log(f"mlflow outage: server down for {down_s:.0f} s")
        time.sleep(down_s)  # the outage itself
        srv = _server(db, port, d / "server.log")
        wait_for(lambda: http_json(search), 120, "mlflow server again")
        child.wait(down_s + 400)
        t.join(10)
        run_id = info.get("run", "")
        stored = {m.step for m in MlflowClient(base).get_metric_history(run_id, READ_KEY)}
    finally:
        if child.poll() is None:
            child.kill()
        srv.terminate()
        srv.wait(30)
    times = sorted(logged.values())
    stall = max((b - a for a, b in zip(times, times[1:], strict=False)), default=0.0)
    return {
        "outage_s": down_s,
        "outage_finished": "done" in info,
        "outage_logged_points": len(logged) * 4,
        "outage_lost_points": len(set(logged) - stored) * 4,
        "outage_max_stall_s": stall,
    }


if __name__ == "__main__":
    main(
        {
            "log_cost": log_cost,
            "ingest": ingest,
            "read": read,
            "serve": serve,
            "_child": _child,
            "kill": kill,
            "_outage_child": _outage_child,
            "outage": outage,
        }
    )
