"""trainboard's media workloads (issue #19).

    log_cost     log() of 4 scalars a step, with a 64x64 RGB image every 10 steps: the median
                 cost in the caller of the steps without one and of the steps with one, beside
                 the same loop with no media at all (one process, one machine)
    store_rate   images stored per second, end to end: log() of distinct 64x64 (and 256x256)
                 images until finish() returns (encoded, hashed and written to SQLite + files)
    run_page     the Run page of a run with 10,000 images: navigation until its first images
                 are drawn, and until its charts are drawn, beside the same run without media
    compare      Compare of 5 runs: navigation until the 5 side-by-side images are drawn, and
                 the /compare/media API alone

Run as `python -m bench.tb_media WORKLOAD --dir DIR [--quick]`; prints one JSON line.
"""

from __future__ import annotations

import io
import os
import statistics
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from bench.common import log, median_call_us, rows, seed_run, server, workload_main
from bench.tb_browser import _DRAWN_CHARTS, _browser
from trainboard.store import open_store
from trainboard.store.mediarecords import Blob, MediaRecord, digest_of

_FIRST_IMAGE = """() => [...document.querySelectorAll('.media-panel img')]
    .some(i => i.complete && i.naturalWidth > 0)"""


def _init(d: Path, name: str) -> Any:
    os.environ["TRAINBOARD_SYSTEM_INTERVAL"] = "0"
    os.environ["TRAINBOARD_QUIET"] = "1"
    import trainboard

    d.mkdir(parents=True, exist_ok=True)
    return trainboard.init(project="bench", name=name, store=f"sqlite:///{d / 'tb.db'}")


def log_cost(d: Path, quick: bool) -> dict[str, Any]:
    import trainboard

    payloads = rows()
    rng = np.random.default_rng(0)
    images = [rng.integers(0, 256, (64, 64, 3), dtype=np.uint8) for _ in range(16)]
    calls = 20_000 if quick else 100_000
    out: dict[str, Any] = {}
    for name, every in (("plain", 0), ("media", 10)):
        run = _init(d / name, name)
        log = run.log
        plain_us: list[int] = []
        image_us: list[int] = []
        clock = time.perf_counter_ns
        for i in range(calls):
            data = payloads[i & 4095]
            if every and i % every == 0:
                data = {**data, "samples": trainboard.Image(images[(i // every) & 15])}
                t0 = clock()
                log(data, step=i)
                image_us.append(clock() - t0)
            else:
                t0 = clock()
                log(data, step=i)
                plain_us.append(clock() - t0)
        t0 = time.perf_counter()
        run.finish()
        out[f"{name}_finish_s"] = time.perf_counter() - t0
        out[f"{name}_median_us"] = statistics.median(plain_us) / 1000
        if image_us:
            out["image_step_median_us"] = statistics.median(image_us) / 1000
            out["image_step_p99_us"] = sorted(image_us)[int(len(image_us) * 0.99)] / 1000
    out["calls"] = calls
    out["baseline_us"], _ = median_call_us(lambda i: None, max_calls=10_000, max_seconds=1)
    return out


def store_rate(d: Path, quick: bool) -> dict[str, Any]:
    import trainboard

    out: dict[str, Any] = {}
    for side, n in ((64, 500 if quick else 3000), (256, 100 if quick else 500)):
        rng = np.random.default_rng(side)
        images = [rng.integers(0, 256, (side, side, 3), dtype=np.uint8) for _ in range(n)]
        run = _init(d / f"rate{side}", f"rate{side}")
        t0 = time.perf_counter()
        for i, img in enumerate(images):
            run.log({"samples": trainboard.Image(img)}, step=i)
        run.finish()
        dt = time.perf_counter() - t0
        with open_store(f"sqlite:///{d / f'rate{side}' / 'tb.db'}") as s:
            assert s.media_keys(run.id)[0].count == n
        out[f"images{side}_per_s"] = n / dt
        out[f"images{side}"] = n
    return out


def _png(i: int) -> bytes:
    from PIL import Image

    a = np.full((32, 32, 3), (i * 7 % 256, i // 256 % 256, 128), np.uint8)
    buf = io.BytesIO()
    Image.fromarray(a).save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


def _seed_images(store: Any, run_id: str, n: int, key: str = "samples") -> None:
    for start in range(0, n, 500):
        recs, blobs = [], {}
        for i in range(start, min(n, start + 500)):
            data = _png(i)
            dg = digest_of(data)
            recs.append(
                MediaRecord(key, i, "image", dg, "image/png", len(data), 1.0 + i, caption=f"s{i}")
            )
            blobs[dg] = Blob("image/png", data)
        store.write_media(run_id, recs, blobs)


def _time_page(base: str, b: Any, path: str, until: str, trials: int) -> float:
    times = []
    for k in range(trials + 1):  # the first load warms the server and the browser
        ctx = b.new_context(viewport={"width": 1400, "height": 1800})
        page = ctx.new_page()
        t0 = time.perf_counter()
        page.goto(base + path)
        page.wait_for_function(until, polling=25, timeout=60_000)
        dt = time.perf_counter() - t0
        ctx.close()
        if k:
            times.append(dt)
    return statistics.median(times) * 1000


def run_page(d: Path, quick: bool) -> dict[str, Any]:
    n = 2_000 if quick else 10_000
    url = f"sqlite:///{d / 'page.db'}"
    with open_store(url) as store:
        keys = ("train/loss", "lr", "grad_norm", "accuracy")
        seed_run(store, "a" * 12, points=10_000, keys=keys, name="with-images")
        seed_run(store, "b" * 12, points=10_000, keys=keys, name="without")
        _seed_images(store, "a" * 12, n)
    log(f"trainboard: seeded a run with {n} images")
    trials = 3 if quick else 7
    charts = f"() => ({_DRAWN_CHARTS})() >= 4"
    with server(url, d / "server.log") as base, _browser() as b:
        with_images = _time_page(base, b, f"/runs/{'a' * 12}", _FIRST_IMAGE, trials)
        charts_with = _time_page(base, b, f"/runs/{'a' * 12}", charts, trials)
        charts_without = _time_page(base, b, f"/runs/{'b' * 12}", charts, trials)
        t0 = time.perf_counter()
        httpx.get(f"{base}/api/v1/runs/{'a' * 12}/media").raise_for_status()
        keys_ms = (time.perf_counter() - t0) * 1000
    return {
        "images": n,
        "first_images_ms": with_images,
        "charts_with_images_ms": charts_with,
        "charts_without_media_ms": charts_without,
        "media_keys_api_ms": keys_ms,
        "trials": trials,
    }


def compare(d: Path, quick: bool) -> dict[str, Any]:
    url = f"sqlite:///{d / 'compare.db'}"
    ids = [f"{r:012x}" for r in range(1, 6)]
    with open_store(url) as store:
        for i, rid in enumerate(ids):
            seed_run(store, rid, points=10_000, name=f"run{i}", salt=i)
            _seed_images(store, rid, 200 if quick else 1000)
    trials = 3 if quick else 7
    drawn = """() => { const i = [...document.querySelectorAll('[data-testid=compare-media] img')];
        return i.length === 5 && i.every(x => x.complete && x.naturalWidth > 0); }"""
    with server(url, d / "server.log") as base, _browser() as b:
        page_ms = _time_page(base, b, f"/compare?runs={','.join(ids)}", drawn, trials)
        api = []
        with httpx.Client(base_url=base) as c:
            for _ in range(trials + 1):
                t0 = time.perf_counter()
                q = {"runs": ",".join(ids), "key": "samples", "step": 150}
                c.get("/api/v1/compare/media", params=q).raise_for_status()
                api.append((time.perf_counter() - t0) * 1000)
    return {"compare_page_ms": page_ms, "compare_api_ms": statistics.median(api[1:]), "runs": 5}


if __name__ == "__main__":
    workload_main(
        {"log_cost": log_cost, "store_rate": store_rate, "run_page": run_page, "compare": compare}
    )
