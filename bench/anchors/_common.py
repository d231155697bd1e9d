"""Workload definitions shared by every tool's benchmark, ours and the anchors'.

This module is imported both by trainboard's workloads (our venv) and by the anchor scripts
(bench/.venv-anchors), so it uses only the standard library. Every workload prints exactly one
JSON line on stdout (`emit`), which bench/run.py parses; anything else goes to stderr.
"""

from __future__ import annotations

import json
import math
import os
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

KEYS = ("train/loss", "lr", "grad_norm", "tokens")  # the 4 scalars of one log() call
READ_KEY = "train/loss"


def values(step: int, rng: random.Random) -> dict[str, float]:
    """One step's 4 scalars: a noisy falling loss, a cosine lr, a noisy grad norm, tokens.

    Realistic values matter for bytes-per-point: constant or integer-only series would flatter
    every compressed format.
    """
    return {
        "train/loss": 2.5 * math.exp(-step / 200_000) + 0.3 + rng.gauss(0.0, 0.02),
        "lr": 3e-5 * 0.5 * (1 + math.cos(math.pi * (step % 1_000_000) / 1_000_000)),
        "grad_norm": abs(rng.gauss(0.5, 0.1)),
        "tokens": float(step * 8192),
    }


def loss_series(n: int, seed: int = 0) -> list[float]:
    """The READ_KEY column for steps 0..n-1, as `values` makes it (same seed, same numbers)."""
    rng = random.Random(seed)
    return [values(i, rng)["train/loss"] for i in range(n)]


def median_call_us(
    call: Callable[[int], object], *, max_calls: int, max_seconds: float, warmup: int = 200
) -> tuple[float, int]:
    """Median wall cost of `call(i)` in the calling thread, in µs, and the calls timed.

    Each call is timed alone with perf_counter_ns (its own ~0.05 µs overhead is included for
    every tool alike). Stops at `max_calls` or after `max_seconds`, whichever comes first.
    """
    for i in range(warmup):
        call(i)
    samples: list[int] = []
    clock = time.perf_counter_ns
    deadline = time.perf_counter() + max_seconds
    i = warmup
    while len(samples) < max_calls:
        t0 = clock()
        call(i)
        samples.append(clock() - t0)
        i += 1
        if time.perf_counter() > deadline:  # outside the timed span
            break
    return statistics.median(samples) / 1000.0, len(samples)


def timed_steps(max_steps: int, max_seconds: float) -> Iterator[int]:
    """Steps 0.. until `max_steps` or `max_seconds` have passed (checked every 256 steps)."""
    deadline = time.perf_counter() + max_seconds
    for i in range(max_steps):
        if (i & 255) == 0 and i and time.perf_counter() > deadline:
            return
        yield i


def dir_bytes(path: str | Path) -> int:
    """Bytes of every file under `path` (what the tool left on disk)."""
    total = 0
    for root, _dirs, files in os.walk(path):
        for f in files:
            try:
                total += os.path.getsize(os.path.join(root, f))
            except OSError:
                pass
    return total


def best_of(fn: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    """Median seconds of `repeats` calls of fn (after one warm-up call), and its last result."""
    result = fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def emit(result: dict[str, Any]) -> None:
    """The one JSON line bench/run.py reads."""
    sys.stdout.write(json.dumps(result) + "\n")
    sys.stdout.flush()


SIZES = {
    # name: (full, quick)
    "log_calls": (20_000, 5_000),
    "log_seconds": (6.0, 2.0),
    "ingest_steps": (250_000, 50_000),  # x 4 scalars = 1,000,000 / 200,000 points
    "ingest_seconds": (15.0, 3.0),
    "read_points": (1_000_000, 200_000),
    "write_seconds": (25.0, 4.0),  # cap on writing the read series; slower tools read fewer
}


def size(name: str, quick: bool) -> Any:
    full, q = SIZES[name]
    return q if quick else full


def main(workloads: dict[str, Callable[[Path, bool], dict[str, Any]]]) -> None:
    """`python <tool>_bench.py WORKLOAD --dir DIR [--quick]`: run one workload, emit its JSON."""
    import argparse

    p = argparse.ArgumentParser()
    p.add_argument("workload", choices=sorted(workloads))
    p.add_argument("--dir", required=True, type=Path)
    p.add_argument("--quick", action="store_true")
    a = p.parse_args()
    import shutil

    if not a.workload.startswith("_"):  # a child works in the folder its parent made
        shutil.rmtree(a.dir, ignore_errors=True)  # every workload starts from nothing
    a.dir.mkdir(parents=True, exist_ok=True)
    emit(workloads[a.workload](a.dir, a.quick))


def rows(n: int = 4096, seed: int = 0) -> list[dict[str, float]]:
    """Precomputed log() payloads, so making the dict is never part of a timed call."""
    rng = random.Random(seed)
    return [values(i, rng) for i in range(n)]


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def http_json(url: str, body: dict[str, Any] | None = None, timeout: float = 120) -> Any:
    """GET (or POST a JSON body) and parse the JSON answer; stdlib only."""
    import urllib.request

    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return json.loads(r.read())


def wait_for(cond: Callable[[], Any], timeout: float, what: str) -> Any:
    """Poll `cond` (exceptions count as not yet) until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            v = cond()
            if v:
                return v
        except Exception:  # a server still starting answers with errors
            pass
        time.sleep(0.1)
    raise RuntimeError(f"timed out after {timeout:.0f} s waiting for {what}")


def median_ms(fn: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    """Median ms of `repeats` calls after one untimed warm-up call, and the last result."""
    result = fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000, result


def child_loop(log_step: Callable[[int, dict[str, float]], object]) -> None:
    """The training process of the SIGKILL workload: one log of 4 scalars every ~1 ms, each
    step's wall time printed after the call returns. Runs until it is killed."""
    payloads = rows()
    print("ready", flush=True)
    step = 0
    while True:
        step += 1
        log_step(step, payloads[step & 4095])
        print(step, time.time(), flush=True)
        time.sleep(0.001)


def kill_test(
    script: str, d: Path, read_steps: Callable[[Path], set[int]], quick: bool
) -> dict[str, Any]:
    """Run `script _child --dir D`, SIGKILL it after ~2 s of logging, then read back with the
    tool's own reader: how many logged points are missing, and how old the oldest was."""
    import signal
    import subprocess
    import threading

    trials = 2 if quick else 3
    lost_total, logged_total, worst = 0, 0, 0.0
    for k in range(trials):
        cd = d / f"kill{k}"
        cd.mkdir(parents=True)
        proc = subprocess.Popen(
            [sys.executable, script, "_child", "--dir", str(cd)],
            stdout=subprocess.PIPE,
            stderr=open(cd / "child.log", "wb"),
            text=True,
        )
        logged: dict[int, float] = {}
        first: list[float] = []

        def read(
            p: Any = proc, logged: dict[int, float] = logged, first: list[float] = first
        ) -> None:
            for line in p.stdout:
                a, _, b = line.partition(" ")
                if a.isdigit():
                    logged[int(a)] = float(b)
                    if not first:
                        first.append(time.monotonic())

        t = threading.Thread(target=read, daemon=True)
        t.start()
        deadline = time.monotonic() + 300
        while not first or time.monotonic() - first[0] < 2.0 + 0.3 * k:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the training process stopped: see {cd / 'child.log'}")
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)
        killed_at = time.time()
        proc.wait()
        t.join(10)
        stored = read_steps(cd)
        lost = sorted(set(logged) - stored)
        logged_total += len(logged)
        lost_total += len(lost)
        if lost:
            worst = max(worst, killed_at - logged[lost[0]])
        log(f"kill trial {k}: logged {len(logged)} steps, lost {len(lost)}")
    return {
        "kill_trials": trials,
        "kill_logged_points": logged_total * 4,
        "kill_lost_points": lost_total * 4,
        "kill_oldest_lost_s": worst,
    }
