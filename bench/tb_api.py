"""trainboard through its HTTP API on a real uvicorn (`trainboard ui`): series reads, the runs
list with 10,000 runs, and compare. Timings are client-side wall time of a full request
(connection kept alive, JSON body read), median of several.

Run as `python -m bench.tb_api WORKLOAD --dir DIR [--quick]`; prints one JSON line.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx

from bench.common import KEYS, READ_KEY, log, median_ms, seed_run, server, workload_main
from trainboard.store import open_store
from trainboard.store.records import PointBatch, RunRecord


def _get(client: httpx.Client, url: str) -> Any:
    r = client.get(url)
    r.raise_for_status()
    return r.json()


def series(d: Path, quick: bool) -> dict[str, Any]:
    """One 1,000,000-point series through GET /runs/{id}/series: downsampled and whole."""
    n = 1_000_000
    db = d / "series.db"
    with open_store(f"sqlite:///{db}") as store:
        seed_run(store, "c" * 12, points=n, keys=(READ_KEY,))
    reps = 5 if quick else 15
    t0 = time.perf_counter()
    with server(f"sqlite:///{db}", d / "server.log") as base, httpx.Client(timeout=60) as c:
        url = f"{base}/api/v1/runs/{'c' * 12}/series?keys={READ_KEY}"
        _get(c, url + "&max_points=2000")
        ready_s = time.perf_counter() - t0  # process start until the series is served
        ds_ms, body = median_ms(lambda: _get(c, url + "&max_points=2000"), reps, warmup=2)
        got = body["series"][READ_KEY]
        assert got["total"] == n and len(got["steps"]) <= 2001, (got["total"], len(got["steps"]))
        ds_points = len(got["steps"])
        whole_ms, body = median_ms(lambda: _get(c, url), 3 if quick else 5)
        assert len(body["series"][READ_KEY]["steps"]) == n
    return {
        "api_ds_ms": ds_ms,
        "api_ds_points": ds_points,
        "api_whole_ms": whole_ms,
        "server_load_s": ready_s,
    }


def _seed_many_runs(db: Path, count: int) -> None:
    """`count` finished runs over 10 models, each with 4 metrics x 20 points (summaries)."""
    now = time.time()
    with open_store(f"sqlite:///{db}") as store:
        for i in range(count):
            rid = f"{i:012x}"
            store.create_run(
                RunRecord(
                    id=rid,
                    project=f"proj-{i % 7}",
                    name=f"run-{i}",
                    model=f"org/model-{i % 10}",
                    status="finished",
                    total_steps=1000,
                    created_at=now - count + i,
                    finished_at=now - count + i + 500,
                    tags=["bench", f"sweep-{i % 5}"],
                    config={"lr": 1e-4 * (1 + i % 9), "batch_size": 32},
                )
            )
            steps = [50 * j for j in range(20)]
            times = [now + s for s in steps]
            batch = {
                "train/loss": PointBatch.of(
                    steps, times, [2.0 - j * 0.05 + i * 1e-6 for j in range(20)]
                ),
                "eval/loss": PointBatch.of(
                    steps, times, [2.1 - j * 0.04 + (i % 13) * 1e-3 for j in range(20)]
                ),
                "lr": PointBatch.of(steps, times, [1e-4] * 20),
                "tokens": PointBatch.of(steps, times, [s * 8192.0 for s in steps]),
            }
            store.write_points(rid, batch)


def runs_list(d: Path, quick: bool) -> dict[str, Any]:
    """GET /runs with 10,000 runs stored: the first page as the Runs page asks for it (200
    rows grouped by model, without config and summary), the first 200 runs with summaries,
    and all of them in one response."""
    count = 10_000
    db = d / "runs.db"
    t0 = time.perf_counter()
    _seed_many_runs(db, count)
    log(f"trainboard: seeded {count} runs in {time.perf_counter() - t0:.1f} s")
    reps = 5 if quick else 11
    with server(f"sqlite:///{db}", d / "server.log") as base, httpx.Client(timeout=60) as c:
        page_ms, body = median_ms(lambda: _get(c, f"{base}/api/v1/runs?limit=200"), reps, 2)
        assert body["total"] == count and len(body["runs"]) == 200, body["total"]
        ui_url = f"{base}/api/v1/runs?limit=200&sort=model&fields=row"  # as the Runs page asks
        ui_ms, body = median_ms(lambda: _get(c, ui_url), reps, 2)
        assert body["total"] == count and len(body["runs"]) == 200, body["total"]
        all_ms, body = median_ms(lambda: _get(c, f"{base}/api/v1/runs?limit={count}"), reps)
        assert len(body["runs"]) == count and body["runs"][0]["summary"], len(body["runs"])
    return {
        "runs": count,
        "list_ui_page_ms": ui_ms,
        "list_page_ms": page_ms,
        "list_all_ms": all_ms,
    }


def compare(d: Path, quick: bool) -> dict[str, Any]:
    """GET /compare: 5 runs x 1,000,000 points x 4 metrics, and 50 runs x 100,000 points x 4;
    alone (the table) and followed by every run's 4 curves downsampled to 2,000 points."""
    scale = 5 if quick else 1
    shapes = {"5x1M": (5, 1_000_000 // scale), "50x100k": (50, 100_000 // scale)}
    db = d / "compare.db"
    ids: dict[str, list[str]] = {}
    with open_store(f"sqlite:///{db}") as store:
        for label, (runs, points) in shapes.items():
            ids[label] = []
            for r in range(runs):
                rid = f"{label[:2].replace('x', '')}{r:010x}"[:12].rjust(12, "0")
                seed_run(
                    store,
                    rid,
                    points=points,
                    keys=(*KEYS, "eval/loss"),
                    name=f"{label}-{r}",
                    salt=r + 1,
                )
                ids[label].append(rid)
    log(f"trainboard: seeded compare runs {shapes}")
    out: dict[str, Any] = {"compare_points_per_metric": {k: v[1] for k, v in shapes.items()}}
    with server(f"sqlite:///{db}", d / "server.log") as base, httpx.Client(timeout=120) as c:
        for label in shapes:
            url = f"{base}/api/v1/compare?runs={','.join(ids[label])}&metric=eval/loss"
            ms, body = median_ms(lambda url=url: _get(c, url), 3 if quick else 7)
            assert body["best"] in ids[label] and len(body["runs"]) == len(ids[label])
            out[f"compare_{label}_ms"] = ms
            curves = [
                f"{base}/api/v1/runs/{rid}/series?keys=eval/loss,train/loss,lr,grad_norm"
                "&max_points=2000"
                for rid in ids[label]
            ]

            def page(url: str = url, curves: list[str] = curves) -> None:
                """What the Compare page loads: the comparison, then each run's 4 curves
                (one after another here; the browser fetches them in parallel)."""
                _get(c, url)
                for u in curves:
                    assert len(_get(c, u)["series"]) == 4

            out[f"compare_{label}_curves_ms"], _ = median_ms(page, 3 if quick else 5)
    return out


if __name__ == "__main__":
    workload_main({"series": series, "runs_list": runs_list, "compare": compare})
