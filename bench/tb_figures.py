"""Figures: the six-panel figure of 6 × 1,000,000 points, and log() while figures are drawn.

Run as `python -m bench.tb_figures WORKLOAD --dir DIR [--quick]`; prints one JSON line.
Not part of `bench.run`'s table (no anchor draws figures); run it by hand, it takes ~1 min.

- figure_1m: seconds to build and save the six-panel PNG of one run with six 1M-point
  metrics (read downsampled), and with `smooth=50` (the moving average over every point).
- log_figures: median log() cost with figures off, then with `figures=` rendering every
  few hundred steps (the drawing is in a child process; the watcher only reads run.step).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import rows, workload_main


def figure_1m(d: Path, quick: bool) -> dict[str, Any]:
    from trainboard.report import figure
    from trainboard.report.drawing import save_figure
    from trainboard.store import open_store
    from trainboard.store.records import PointBatch, RunRecord

    n = 200_000 if quick else 1_000_000
    d.mkdir(parents=True, exist_ok=True)
    store = open_store(f"sqlite:///{d / 'tb.db'}")
    store.create_run(RunRecord(id="f1g000000001", project="bench", name="big", created_at=1.7e9))
    s = np.arange(n, dtype=np.int64)
    t = 1.7e9 + s * 0.01
    rng = np.random.default_rng(0)
    base = 3 * np.exp(-s / (n / 5))
    cols = {"train/loss": base + rng.normal(0, 0.05, n), "eval/loss": base + 0.2,
            "eval/accuracy": 1 - base / 3, "lr": np.full(n, 1e-4),
            "grad_norm": np.abs(rng.normal(1, 0.2, n)),
            "tokens_per_s": 8000 + rng.normal(0, 50, n)}  # fmt: skip
    for k, v in cols.items():
        for i in range(0, n, 250_000):
            store.write_points(
                "f1g000000001",
                {k: PointBatch(s[i : i + 250_000], t[i : i + 250_000], v[i : i + 250_000])},
            )
    figure("f1g000000001", store)  # matplotlib imported and fonts cached outside the timing
    out: dict[str, Any] = {"figure_points": n * len(cols)}
    for label, smooth in (("figure_s", None), ("figure_smooth_s", 50)):
        t0 = time.perf_counter()
        save_figure(figure("f1g000000001", store, smooth=smooth), d / "dash.png")
        out[label] = time.perf_counter() - t0
    store.close()
    return out


def _train(run: Any, seconds: float, payloads: list[dict[str, float]]) -> tuple[float, float]:
    """A loop of ~0.3 ms steps (numpy work that holds the GIL, as Python-side training code
    does) logging 4 scalars each: (median log() µs, steps per second)."""
    a = np.random.default_rng(0).random((64, 64))
    costs: list[int] = []
    clock = time.perf_counter_ns
    log = run.log
    i = 0
    t_end = time.perf_counter() + seconds
    t0 = time.perf_counter()
    while time.perf_counter() < t_end:
        for _ in range(3):
            a = np.tanh(a @ a.T * 0.01)
        c0 = clock()
        log(payloads[i & 4095], step=i)
        costs.append(clock() - c0)
        i += 1
    return float(np.median(costs)) / 1000, i / (time.perf_counter() - t0)


def log_figures(d: Path, quick: bool) -> dict[str, Any]:
    os.environ["TRAINBOARD_SYSTEM_INTERVAL"] = "0"
    import trainboard

    payloads = rows()
    seconds = 4.0 if quick else 15.0
    out: dict[str, Any] = {}
    for label, figures in (("off", None), ("figures", 2000)):
        run = trainboard.init(
            project="bench", name=label, store=f"sqlite:///{d / 'tb.db'}",
            figures=figures, figures_dir=d / "figs",
        )  # fmt: skip
        out[f"log_us_{label}"], out[f"steps_per_s_{label}"] = _train(run, seconds, payloads)
        if figures:
            out["figure_sets_during"] = run.state.extras[0].renders
        run.finish()
    return out


if __name__ == "__main__":
    workload_main({"figure_1m": figure_1m, "log_figures": log_figures})
