"""Alerts and stop: how fast an alert reaches a webhook, how many per episode, how fast a stop
reaches the loop, and what the stop check costs log().

Run as `python -m bench.tb_alerts WORKLOAD --dir DIR [--quick]`; prints one JSON line. No
anchor has alerts without a cloud account (W&B's need its service), so there is no ratio.

- alert_latency: a real HTTP server on loopback as the webhook; a run logs NaN; seconds from
  that log() to the POST arriving (median and max of several runs), and POSTs per episode
  after NaN is logged for 3 s more (target 1).
- stop_latency: a loop checking `run.should_stop`; another thread asks it to stop through the
  store (what `trainboard stop` does); seconds until the loop sees it, at the default check
  interval (1 s). Target <= 2 s.
- stop_check_cost: median log() cost with the sentinel thread on (the default) and off
  (TRAINBOARD_CONTROL_INTERVAL=0), interleaved: log() itself is unchanged, so the difference
  is only the thread's GIL share.
"""

from __future__ import annotations

import math
import os
import statistics
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from bench.common import median_call_us, rows, workload_main


def _webhook() -> tuple[ThreadingHTTPServer, list[tuple[float, bytes]]]:
    got: list[tuple[float, bytes]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            got.append((time.perf_counter(), body))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, got


def _env(d: Path) -> str:
    os.environ["TRAINBOARD_SYSTEM_INTERVAL"] = "0"
    os.environ["TRAINBOARD_QUIET"] = "1"
    d.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{d / 'tb.db'}"


def alert_latency(d: Path, quick: bool) -> dict[str, Any]:
    import trainboard
    from trainboard.store import open_store
    from trainboard.store.sql import channels
    from trainboard.store.sql.channels import ChannelRecord

    url = _env(d)
    server, got = _webhook()
    with open_store(url) as store:
        channels.add(store, ChannelRecord("webhook", f"http://127.0.0.1:{server.server_port}/"))
    latencies, per_episode = [], []
    for i in range(3 if quick else 6):
        before = len(got)
        run = trainboard.init(project="bench", name=f"nan-{i}", store=url)
        for step in range(50):
            run.log({"train/loss": 1.0 / (step + 1)}, step=step)
        t0 = time.perf_counter()
        run.log({"train/loss": math.nan}, step=50)
        while len(got) == before and time.perf_counter() - t0 < 30:
            time.sleep(0.001)
        latencies.append(got[before][0] - t0 if len(got) > before else math.inf)
        end = time.perf_counter() + 3.0
        step = 51
        while time.perf_counter() < end:  # the episode goes on: NaN every 10 ms
            run.log({"train/loss": math.nan}, step=step)
            step += 1
            time.sleep(0.01)
        run.finish()
        per_episode.append(
            sum(b'"kind": "nan"' in b or b'"kind":"nan"' in b for _, b in got[before:])
        )
    server.shutdown()
    return {
        "alert_post_s_median": statistics.median(latencies),
        "alert_post_s_max": max(latencies),
        "alerts_per_episode": max(per_episode),
        "runs": len(latencies),
    }


def stop_latency(d: Path, quick: bool) -> dict[str, Any]:
    import trainboard
    from trainboard.analysis.control import request_stop
    from trainboard.store import open_store

    url = _env(d)
    seen = []
    for i in range(3 if quick else 6):
        run = trainboard.init(project="bench", name=f"stop-{i}", store=url)
        run.log({"train/loss": 1.0}, step=0)
        asked: list[float] = []

        def ask(run_id: str = run.id, i: int = i, asked: list[float] = asked) -> None:
            time.sleep(0.3 + 0.13 * i)  # not in step with the check
            with open_store(url) as store:
                asked.append(time.perf_counter())
                request_stop(store, run_id, by="bench")

        threading.Thread(target=ask, daemon=True).start()
        step = 0
        while not run.should_stop:
            step += 1
            run.log({"train/loss": 1.0 / step}, step=step)
            time.sleep(0.002)
        seen.append(time.perf_counter() - asked[0])
        run.finish()
    return {"stop_s_median": statistics.median(seen), "stop_s_max": max(seen), "runs": len(seen)}


def stop_check_cost(d: Path, quick: bool) -> dict[str, Any]:
    import trainboard

    url = _env(d)
    payloads = rows()
    out: dict[str, list[float]] = {"on": [], "off": []}
    for rep in range(2 if quick else 4):
        for mode in ("on", "off"):
            os.environ["TRAINBOARD_CONTROL_INTERVAL"] = "1" if mode == "on" else "0"
            run = trainboard.init(project="bench", name=f"{mode}-{rep}", store=url)
            log = run.log
            us, _ = median_call_us(
                lambda i, log=log: log(payloads[i & 4095], step=i),
                max_calls=5_000 if quick else 20_000,
                max_seconds=2.0 if quick else 5.0,
            )
            run.finish()
            out[mode].append(us)
    on, off = statistics.median(out["on"]), statistics.median(out["off"])
    return {"log_us_control_on": on, "log_us_control_off": off, "log_us_delta": on - off}


if __name__ == "__main__":
    workload_main(
        {
            "alert_latency": alert_latency,
            "stop_latency": stop_latency,
            "stop_check_cost": stop_check_cost,
        }  # fmt: skip
    )
