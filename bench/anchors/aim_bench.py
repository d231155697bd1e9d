"""Aim anchor: Run.track of a dict of 4 metrics per step, Repo.query_metrics to read."""

from __future__ import annotations

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


def _run(d: Path) -> Any:
    from aim import Repo, Run

    d.mkdir(parents=True, exist_ok=True)
    Repo.from_path(str(d), init=True)
    return Run(
        repo=str(d),
        experiment="bench",
        system_tracking_interval=None,
        capture_terminal_logs=False,
    )


def log_cost(d: Path, quick: bool) -> dict[str, Any]:
    run = _run(d / "log")
    payloads = rows()
    us, n = median_call_us(
        lambda i: run.track(payloads[i & 4095], step=i),
        max_calls=size("log_calls", quick),
        max_seconds=size("log_seconds", quick),
    )
    run.close()
    return {"log_us": us, "log_calls": n, "how": "run.track(dict of 4)"}


def ingest(d: Path, quick: bool) -> dict[str, Any]:
    data = rows(size("ingest_steps", quick))
    base_dir = d / "ingest"
    run = _run(base_dir)
    t0 = time.perf_counter()
    steps = 0
    for i in timed_steps(len(data), size("ingest_seconds", quick)):
        run.track(data[i], step=i)
        steps += 1
    run.close()  # finalises the run's RocksDB chunk: durable from here
    dt = time.perf_counter() - t0
    points = steps * 4
    return {
        "ingest_pps": points / dt,
        "ingest_points": points,
        "bytes_per_point": dir_bytes(base_dir) / points,
    }


def read(d: Path, quick: bool) -> dict[str, Any]:
    from aim import Repo

    run = _run(d / "read")
    data = rows(4096)
    n = 0
    for i in timed_steps(size("read_points", quick), size("write_seconds", quick)):
        run.track(data[i & 4095][READ_KEY], name=READ_KEY, step=i)
        n += 1
    run.close()
    log(f"aim: wrote {n} points")
    # Aim reads runs through its index, which `aim up`'s index manager updates in the
    # background; do what it does, before the clock starts.
    from aim.sdk.index_manager import RepoIndexManager

    repo = Repo.from_path(str(d / "read"))
    for h in repo.list_all_runs():
        RepoIndexManager.get_index_manager(repo).index(h)
    t0 = time.perf_counter()
    repo = Repo.from_path(str(d / "read"))
    got = 0
    for metric in list(repo.query_metrics(f"metric.name == '{READ_KEY}'")):
        steps, (vals, _epochs, _times) = metric.data.numpy()
        got += len(vals)
    dt = time.perf_counter() - t0
    assert got == n, (got, n)
    return {
        "read_whole_ms": dt * 1000,
        "read_points": n,
        "how": "Repo.query_metrics + data.numpy()",
    }


def _child(d: Path, quick: bool) -> dict[str, Any]:
    run = _run(d / "repo")
    child_loop(lambda i, p: run.track(p, step=i))
    return {}


def _stored(d: Path, quick: bool) -> dict[str, Any]:
    """Steps of READ_KEY in the repo under d (what Aim's UI would show), in a fresh process."""
    from aim import Repo
    from aim.sdk.index_manager import RepoIndexManager

    repo = Repo.from_path(str(d / "repo"))
    for h in repo.list_all_runs():
        RepoIndexManager.get_index_manager(repo).index(h)
    repo = Repo.from_path(str(d / "repo"))
    steps: set[int] = set()
    for metric in list(repo.query_metrics(f"metric.name == '{READ_KEY}'")):
        steps.update(int(s) for s in metric.data.numpy()[0])
    return {"steps": sorted(steps)}


def kill(d: Path, quick: bool) -> dict[str, Any]:
    def stored(cd: Path) -> set[int]:
        import json
        import subprocess
        import sys

        out = subprocess.run(
            [sys.executable, __file__, "_stored", "--dir", str(cd)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        return set(json.loads(out.strip().splitlines()[-1])["steps"])

    return kill_test(__file__, d, stored, quick)


if __name__ == "__main__":
    main(
        {
            "log_cost": log_cost,
            "ingest": ingest,
            "read": read,
            "_child": _child,
            "_stored": _stored,
            "kill": kill,
        }
    )
