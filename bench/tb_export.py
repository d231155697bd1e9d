"""trainboard's exports of a 1,000,000-point run: the web CSV and JSON (`export.csv`,
`export.json` on a real uvicorn), one chart's CSV (`series.csv` of a 1,000,000-point key) and the
CLI's `trainboard export` (a child process writing to a file). Timings are client-side wall
time until the last byte; memory is the server's peak RSS above its RSS before the exports
(sampled every 5 ms), which stays flat when the export streams window by window.

Run as `python -m bench.tb_export export --dir DIR [--quick]`; prints one JSON line.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import psutil

from bench.common import KEYS, log, seed_run, server, workload_main
from trainboard.store import open_store

POINTS = 1_000_000


def _peak_rss(proc: psutil.Process, stop: threading.Event, out: list[int]) -> None:
    while not stop.is_set():
        try:
            out.append(proc.memory_info().rss)
        except psutil.Error:
            return
        time.sleep(0.005)


def _download(c: httpx.Client, url: str) -> tuple[float, int]:
    t0 = time.perf_counter()
    n = 0
    with c.stream("GET", url) as r:
        r.raise_for_status()
        for piece in r.iter_bytes():
            n += len(piece)
    return time.perf_counter() - t0, n


def export(d: Path, quick: bool) -> dict[str, Any]:
    """A run of 4 keys x 250,000 points (1,000,000 points) and a run of one 1,000,000-point key."""
    db = d / "export.db"
    with open_store(f"sqlite:///{db}") as store:
        seed_run(store, "e" * 12, points=POINTS // len(KEYS))
        seed_run(store, "f" * 12, points=POINTS, keys=(KEYS[0],))
    log(f"seeded {db}")
    out: dict[str, Any] = {"points": POINTS}
    reps = 1 if quick else 3
    with server(f"sqlite:///{db}", d / "server.log") as base, httpx.Client(timeout=120) as c:
        proc = psutil.Process(os.getpid()).children()[-1]
        api = f"{base}/api/v1/runs"
        urls = {
            "web_csv": f"{api}/{'e' * 12}/export.csv",
            "web_json": f"{api}/{'e' * 12}/export.json",
            "series_csv": f"{api}/{'f' * 12}/series.csv?key={KEYS[0]}",
        }
        _download(c, urls["web_csv"])  # warm: imports, page cache
        for name, url in urls.items():
            base_rss = proc.memory_info().rss
            samples: list[int] = []
            stop = threading.Event()
            t = threading.Thread(target=_peak_rss, args=(proc, stop, samples))
            t.start()
            best = min(_download(c, url) for _ in range(reps))
            stop.set()
            t.join()
            out[f"{name}_s"] = best[0]
            out[f"{name}_bytes"] = best[1]
            out[f"{name}_pps"] = POINTS / best[0]
            out[f"{name}_rss_mb"] = (max(samples, default=base_rss) - base_rss) / 2**20
    env = dict(os.environ, TRAINBOARD_DB=f"sqlite:///{db}")
    env.pop("TRAINBOARD_URL", None)
    t0 = time.perf_counter()
    cmd = [sys.executable, "-m", "trainboard", "export", "e" * 12, "-o", str(d / "cli.csv")]
    subprocess.run(cmd, env=env, check=True, capture_output=True)
    out["cli_csv_s"] = time.perf_counter() - t0  # including the process start (~0.5 s)
    out["cli_csv_pps"] = POINTS / out["cli_csv_s"]
    return out


if __name__ == "__main__":
    workload_main({"export": export})
