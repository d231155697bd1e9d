"""trainboard in headless Chromium (the Debian browser, through Playwright):

- log_to_pixels: an open Run page; log() a distinctive step from the SDK and time until the
  progress card shows it (SDK writer flush + SSE + incremental fetch + render).
- first_paint: a Run page with 6 charts of 1,000,000 points each; time from navigation until
  all 6 charts have drawn pixels (polled every 25 ms).

Run as `python -m bench.tb_browser WORKLOAD --dir DIR [--quick]`; prints one JSON line.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.common import log, seed_run, server, workload_main
from trainboard.store import open_store

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
CHART_KEYS = ("train/loss", "lr", "grad_norm", "accuracy", "step_time", "tokens_per_s")

_DRAWN_CHARTS = """() => {
    let n = 0;
    for (const cv of document.querySelectorAll('[data-chart] canvas')) {
        if (!cv.width || !cv.height) continue;
        const d = cv.getContext('2d').getImageData(0, 0, cv.width, cv.height).data;
        let px = 0;
        for (let i = 3; i < d.length; i += 64) if (d[i] > 0 && ++px > 50) break;
        if (px > 50) n++;
    }
    return n;
}"""


@contextmanager
def _browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


def log_to_pixels(d: Path, quick: bool) -> dict[str, Any]:
    os.environ["TRAINBOARD_SYSTEM_INTERVAL"] = "0"
    import trainboard
    from trainboard import settings

    url = f"sqlite:///{d / 'live.db'}"
    open_store(url).close()  # migrate before the server and the SDK both open it
    trials = 5 if quick else 15
    with server(url, d / "server.log") as base, _browser() as b:
        run = trainboard.init(project="bench", name="live", total_steps=1_000_000, store=url)
        for s in range(1, 11):
            run.log({"train/loss": 2.0 - s * 0.01, "grad_norm": 0.5}, step=s)
        page = b.new_page(viewport={"width": 1400, "height": 900})
        page.goto(f"{base}/runs/{run.id}")
        page.wait_for_function(
            "() => (document.querySelector('[data-testid=steps]')||{}).textContent?.includes('10')",
            timeout=30_000,
        )
        lat = []
        for k in range(trials):
            target = 123_457 + k * 1_111  # distinctive: shown as "123,457" (or plain digits)
            time.sleep(0.3)  # let the previous update settle; the trials are independent
            t0 = time.perf_counter()
            run.log({"train/loss": 1.5, "grad_norm": 0.4}, step=target)
            page.wait_for_function(
                """(t) => {
                    const el = document.querySelector('[data-testid=steps]');
                    return !!el && el.textContent.replace(/[^0-9 ]/g, '').includes(t);
                }""",
                arg=str(target),
                polling="raf",
                timeout=10_000,
            )
            lat.append(time.perf_counter() - t0)
        page.screenshot(path=str(d / "log_to_pixels.png"))
        run.finish()
    ms = sorted(x * 1000 for x in lat)
    return {
        "pixels_median_ms": statistics.median(ms),
        "pixels_max_ms": ms[-1],
        "pixels_trials": trials,
        "flush_interval_s": settings.flush_interval(),
    }


def first_paint(d: Path, quick: bool) -> dict[str, Any]:
    n = 200_000 if quick else 1_000_000
    url = f"sqlite:///{d / 'paint.db'}"
    with open_store(url) as store:
        seed_run(store, "f" * 12, points=n, keys=CHART_KEYS, name="six-charts")
    log(f"trainboard: seeded 6 x {n} points")
    trials = 3 if quick else 7
    times = []
    charts = 0
    with server(url, d / "server.log") as base, _browser() as b:
        for k in range(trials + 1):  # the first load warms the server's caches and the browser
            ctx = b.new_context(viewport={"width": 1400, "height": 1800})
            page = ctx.new_page()
            t0 = time.perf_counter()
            page.goto(f"{base}/runs/{'f' * 12}")
            page.wait_for_function(
                f"() => ({_DRAWN_CHARTS})() >= {len(CHART_KEYS)}", polling=25, timeout=60_000
            )
            dt = time.perf_counter() - t0
            charts = int(page.evaluate(f"({_DRAWN_CHARTS})()"))
            if k == trials:
                page.screenshot(path=str(d / "first_paint.png"), full_page=True)
            ctx.close()
            if k:
                times.append(dt)
    return {
        "paint_median_ms": statistics.median(times) * 1000,
        "paint_points_per_chart": n,
        "paint_charts": charts,
        "paint_trials": trials,
    }


_COMPARE_DRAWN = """() => {
    const cards = document.querySelectorAll('.compare-charts .chart');
    if (!cards.length || !document.querySelector('[data-testid=compare-table]')) return false;
    let drawn = 0;
    for (const card of cards) {
        const cv = card.querySelector('canvas');
        if (!cv || !cv.width || !cv.height) continue;
        const d = cv.getContext('2d').getImageData(0, 0, cv.width, cv.height).data;
        let px = 0;
        for (let i = 3; i < d.length; i += 64) if (d[i] > 0 && ++px > 50) break;
        if (px > 50) drawn++;
    }
    return drawn === cards.length ? drawn : false;
}"""


def compare_paint(d: Path, quick: bool) -> dict[str, Any]:
    """The Compare page for 10 runs x 100,000 points (issue #4): navigation until the table is
    there and every overlaid chart has drawn."""
    n = 20_000 if quick else 100_000
    url = f"sqlite:///{d / 'compare.db'}"
    ids = [f"{r:012x}" for r in range(1, 11)]
    with open_store(url) as store:
        for r, rid in enumerate(ids):
            seed_run(
                store, rid, points=n, keys=(*CHART_KEYS[:4], "eval/loss"), name=f"cmp-{r}", salt=r
            )
    trials = 3 if quick else 7
    times = []
    charts = 0
    with server(url, d / "server.log") as base, _browser() as b:
        for k in range(trials + 1):
            ctx = b.new_context(viewport={"width": 1400, "height": 1800})
            page = ctx.new_page()
            t0 = time.perf_counter()
            page.goto(f"{base}/compare?runs={','.join(ids)}")
            charts = int(
                page.wait_for_function(_COMPARE_DRAWN, polling=25, timeout=60_000).json_value()
            )
            dt = time.perf_counter() - t0
            if k == trials:
                page.screenshot(path=str(d / "compare_paint.png"), full_page=True)
            ctx.close()
            if k:
                times.append(dt)
    return {
        "compare_paint_ms": statistics.median(times) * 1000,
        "compare_paint_points": n,
        "compare_paint_charts": charts,
    }


if __name__ == "__main__":
    workload_main(
        {"log_to_pixels": log_to_pixels, "first_paint": first_paint, "compare_paint": compare_paint}
    )
