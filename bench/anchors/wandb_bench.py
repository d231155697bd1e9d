"""wandb anchor, offline mode: wandb.log of 4 scalars per step into the local .wandb file.

wandb has no reader for an offline run (its history is readable only after `wandb sync` to a
server), so it has no read figures.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from _common import dir_bytes, main, median_call_us, rows, size, timed_steps


def _wandb(d: Path) -> Any:
    d.mkdir(parents=True, exist_ok=True)
    os.environ.update(
        WANDB_MODE="offline",
        WANDB_DIR=str(d),
        WANDB_SILENT="true",
        WANDB_CONSOLE="off",
        WANDB_DISABLE_GIT="true",
        WANDB_DISABLE_CODE="true",
    )
    import wandb

    return wandb


def _settings(wandb: Any) -> Any:
    return wandb.Settings(x_disable_stats=True, x_disable_meta=True)


def log_cost(d: Path, quick: bool) -> dict[str, Any]:
    wandb = _wandb(d / "log")
    run = wandb.init(project="bench", settings=_settings(wandb))
    payloads = rows()
    us, n = median_call_us(
        lambda i: run.log(payloads[i & 4095], step=i),
        max_calls=size("log_calls", quick),
        max_seconds=size("log_seconds", quick),
    )
    run.finish()
    return {"log_us": us, "log_calls": n, "how": "run.log(4), offline"}


def ingest(d: Path, quick: bool) -> dict[str, Any]:
    wandb = _wandb(d / "ingest")
    data = rows(size("ingest_steps", quick))
    run = wandb.init(project="bench", settings=_settings(wandb))
    base = dir_bytes(d / "ingest")
    t0 = time.perf_counter()
    steps = 0
    for i in timed_steps(len(data), size("ingest_seconds", quick)):
        run.log(data[i], step=i)
        steps += 1
    run.finish()  # waits for wandb-core to write everything: durable from here
    dt = time.perf_counter() - t0
    points = steps * 4
    return {
        "ingest_pps": points / dt,
        "ingest_points": points,
        "bytes_per_point": (dir_bytes(d / "ingest") - base) / points,
    }


if __name__ == "__main__":
    main({"log_cost": log_cost, "ingest": ingest})
