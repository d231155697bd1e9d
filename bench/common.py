"""Helpers for trainboard's own workloads (project venv): data, timing, a real server.

The workload shapes (payloads, sizes, timing of one call) live in bench/anchors/_common.py so
trainboard and the anchors run exactly the same thing.
"""

from __future__ import annotations

import contextlib
import os
import socket
import statistics
import subprocess
import sys
import time
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np

sys.path.insert(0, str(Path(__file__).parent / "anchors"))

from _common import KEYS, READ_KEY, emit, log, median_call_us, rows, size
from _common import main as workload_main  # one argument parser for every workload script

from trainboard.store.base import Store
from trainboard.store.records import PointBatch, RunRecord

__all__ = [
    "KEYS",
    "READ_KEY",
    "emit",
    "log",
    "median_call_us",
    "rows",
    "size",
    "free_port",
    "server",
    "server_process",
    "median_ms",
    "series_batch",
    "seed_run",
    "workload_main",
]

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def server(db_url: str, log_path: Path) -> Iterator[str]:
    """The real app under uvicorn (what `trainboard ui` serves) on a free loopback port."""
    with server_process(db_url, log_path) as (base, _):
        yield base


@contextlib.contextmanager
def server_process(db_url: str, log_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`server`, also handing out the process (benches that read its CPU time)."""
    port = free_port()
    env = dict(os.environ, TRAINBOARD_DB=db_url)
    env.pop("TRAINBOARD_URL", None)
    out = open(log_path, "wb")
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "uvicorn", "--factory", "trainboard.server.app:create_app"),
            *("--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"),
        ],
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited {proc.returncode}: {log_path.read_text()}")
            try:
                if httpx.get(f"{base}/api/v1/runs?limit=1", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"server not ready after 60 s: {log_path.read_text()}")
            time.sleep(0.1)
        yield base, proc
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        out.close()


def median_ms(fn: Callable[[], Any], repeats: int, warmup: int = 1) -> tuple[float, Any]:
    """Median milliseconds of `repeats` calls of fn after `warmup` untimed calls."""
    result = None
    for _ in range(warmup):
        result = fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000, result


def series_batch(key: str, start: int, n: int, t0: float = 1.7e9, salt: int = 0) -> PointBatch:
    """n points of `key` from step `start`, with the same values the anchors log (`salt` > 0
    makes a different run: other noise, a loss offset, so comparisons have a winner)."""
    steps = np.arange(start, start + n, dtype=np.int64)
    rng = np.random.default_rng(zlib.crc32(key.encode()) + start + 7919 * salt)
    if key == "train/loss":
        vals = 2.5 * np.exp(-steps / 200_000) + 0.3 + 0.01 * salt + rng.normal(0, 0.02, n)
    elif key == "eval/loss":
        vals = 2.5 * np.exp(-steps / 150_000) + 0.35 + 0.013 * salt + rng.normal(0, 0.01, n)
    elif key == "lr":
        vals = 3e-5 * 0.5 * (1 + np.cos(np.pi * (steps % 1_000_000) / 1_000_000))
    elif key == "tokens":
        vals = (steps * 8192).astype(np.float64)
    else:
        vals = np.abs(rng.normal(0.5, 0.1, n))
    times = t0 + steps * 0.05 + rng.uniform(0, 0.001, n)
    return PointBatch(steps, times, vals.astype(np.float64))


def seed_run(
    store: Store,
    run_id: str,
    *,
    points: int,
    keys: tuple[str, ...] = KEYS,
    chunk: int = 100_000,
    name: str | None = None,
    model: str | None = "bench/model",
    project: str = "bench",
    salt: int = 0,
) -> None:
    """A finished run with `points` points of each key, written through the store."""
    now = time.time()
    store.create_run(
        RunRecord(
            id=run_id,
            project=project,
            name=name or run_id,
            model=model,
            status="finished",
            total_steps=points,
            created_at=now - points * 0.05,  # the run took as long as its points' wall times
            finished_at=now,
        )
    )
    for start in range(0, points, chunk):
        n = min(chunk, points - start)
        store.write_points(run_id, {k: series_batch(k, start, n, salt=salt) for k in keys})
