"""A team's whole history (issue #24): build a big store, then time every page against it.

    python -m bench.scale seed --url URL --runs N --points P [--big-runs K --big-points Q]
    python -m bench.scale measure --url URL [--json FILE]

`seed` writes through the store's public contract, so what it builds is what the SDK would
have built: N runs (20 projects, 5 models, real-looking configs, tags and statuses) sharing P
points in total, and K big runs of Q points each on top. Values are float32 (what
`tensor.item()` logs), so the store's bytes per point are a real run's. Small runs go in by
`import_runs`, 500 a transaction (the rows create_run and write_points make, built and encoded
before the transaction, then one executemany per table and one commit); big runs by
create_run and write_points, 1 M points a call. Runs and points are generated for 500 runs
at a time with numpy (one run at a time, generating cost more than storing). It adds to what
the store holds, so a store can be grown in stages (10 k runs, then 100 k). Runs are written
by `--workers` processes (default 2 on SQLite: one encodes while the other holds the one write
lock; 3 on PostgreSQL, where each transaction also waits on round trips). It prints wall
rates and rates per CPU second of the seeding processes (on a shared machine the second says
what the code costs, the first how busy the machine was), and the load average.

`measure` starts the real server (uvicorn) on the store and times, as medians, what each page
asks for: the Runs page's first page (newest, by name, by a summary metric, by a config value;
with filters by project, status, tag, config value, name search), the count, the Run page and
one downsampled series of the biggest run (with the server's memory over idle), Compare of 50
runs with curves, the Sweep page of a project, `Api().runs()` and `Api().run(prefix)`, and the
idle server's CPU. It prints one JSON object, then the same as a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from bench.common import server
from trainboard.store import open_store
from trainboard.store.queries import RunQuery
from trainboard.store.records import PointBatch, RunRecord

PROJECTS = tuple(f"team-{i:02d}" for i in range(20))
MODELS = ("llama-7b", "gpt2-small", "bert-base", "t5-base", "vit-b16")
OPTIMIZERS = ("adamw", "sgd", "lion", "adafactor")
DATASETS = ("c4", "wiki103", "openwebtext", "imagenet-1k")
TAGS = ("baseline", "ablation", "sweep", "prod", "debug", "long")
STATUS_WEIGHTS = (
    ("finished", 0.85), ("failed", 0.05), ("crashed", 0.04), ("pruned", 0.03),
    ("killed", 0.02), ("running", 0.01),
)  # fmt: skip
SMALL_KEYS = ("train/loss", "eval/loss", "eval/accuracy", "lr")
BIG_KEY = "train/loss"
BIG_BATCH = 1_000_000  # points per write_points call of a big run
YEAR = 365 * 86400.0
IMPORT_RUNS = 500  # small runs per import_runs call (one transaction)


# seeding ----------------------------------------------------------------------------------
STATUSES = tuple(s for s, _ in STATUS_WEIGHTS)
STATUS_P = np.array([w for _, w in STATUS_WEIGHTS])


def _f32(a: np.ndarray) -> np.ndarray:
    """Values as a training loop logs them (`tensor.item()` of float32): what the codec
    stores in 4 bytes, so the store's bytes per point are a real run's."""
    return a.astype(np.float32).astype(np.float64)


def _runs(
    rng: np.random.Generator, now: float, first: int, count: int, big: bool
) -> list[RunRecord]:
    """`count` real-looking runs (project, model, config, tags, status), every random number
    drawn for all of them at once: drawn one run at a time, generating cost more than
    storing."""
    model = rng.integers(len(MODELS), size=count).tolist()
    opt = rng.integers(len(OPTIMIZERS), size=count).tolist()
    lr = (10 ** rng.uniform(-5, -2, count)).tolist()
    seed = rng.integers(1000, size=count).tolist()
    status = [0] * count if big else rng.choice(len(STATUSES), size=count, p=STATUS_P).tolist()
    created = (now - rng.uniform(0, YEAR, count)).tolist()
    took = rng.uniform(60, 86400, count).tolist()
    tag_bits = (rng.random((count, len(TAGS))) < 0.2).tolist()
    batch = (2 ** rng.integers(4, 11, count)).tolist()
    warmup = rng.integers(0, 5000, count).tolist()
    dropout = np.round(rng.uniform(0, 0.3, count), 3).tolist()
    dataset = rng.integers(len(DATASETS), size=count).tolist()
    layers = rng.integers(2, 48, count).tolist()
    hidden = (2 ** rng.integers(8, 13, count)).tolist()
    project = rng.integers(len(PROJECTS), size=count).tolist()
    host = rng.integers(64, size=count).tolist()
    ids = os.urandom(6 * count).hex()
    out = []
    for j in range(count):
        m, o, st = MODELS[model[j]], OPTIMIZERS[opt[j]], STATUSES[status[j]]
        c = created[j]
        out.append(
            RunRecord(
                id=ids[12 * j : 12 * j + 12],
                project=PROJECTS[project[j]],
                name=f"{m}-{o}-lr{lr[j]:.1e}-s{seed[j]}-{first + j}",
                model=m,
                status=st,  # type: ignore[arg-type]
                config={
                    "lr": lr[j],
                    "batch_size": batch[j],
                    "optimizer": o,
                    "seed": seed[j],
                    "warmup_steps": warmup[j],
                    "dropout": dropout[j],
                    "dataset": DATASETS[dataset[j]],
                    "model": {"layers": layers[j], "hidden": hidden[j]},
                },
                tags=[t for t, on in zip(TAGS, tag_bits[j], strict=True) if on],
                created_at=c,
                finished_at=None if st == "running" else c + took[j],
                heartbeat_at=c + 30,
                host=f"node-{host[j]}",
            )
        )
    return out


def _small_batches(
    rng: np.random.Generator, n: int, t0s: list[float]
) -> list[dict[str, PointBatch]]:
    """About n points for each run whose start time is in t0s, over the run's keys (most to
    train/loss): a decaying noisy loss, an accuracy, a cosine learning rate. Generated for all
    the runs as one array per key; each run's PointBatch holds views of its row."""
    count = len(t0s)
    out: list[dict[str, PointBatch]] = [{} for _ in range(count)]
    if n <= 0 or not count:
        return out
    per = {"train/loss": max(1, n - 3 * (n // 8)), "eval/loss": n // 8, "eval/accuracy": n // 8}
    per["lr"] = n // 8
    level = rng.uniform(0.2, 1.5, count)[:, None]
    t0 = np.asarray(t0s)[:, None]
    for key, m in per.items():
        if m <= 0:
            continue
        steps = np.arange(m, dtype=np.int64) * (8 if key != "train/loss" else 1)
        frac = (steps / max(1, int(steps[-1])))[None, :]
        if key == "lr":
            vals = np.broadcast_to(3e-4 * 0.5 * (1 + np.cos(np.pi * frac)), (count, m))
        else:
            noise = rng.normal(0, 0.02, (count, m))
            if key == "eval/accuracy":
                vals = np.clip(0.5 + 0.45 * frac / (1 + level) + noise, 0, 1)
            else:
                bump = 0.05 if key == "eval/loss" else 0.0
                vals = level + 2.0 * np.exp(-4 * frac) + noise + bump
        vals = _f32(vals)
        times = t0 + steps[None, :] * 0.5
        for j in range(count):
            out[j][key] = PointBatch(steps, times[j], vals[j])
    return out


def _big_batch(start: int, n: int, t0: float, level: float) -> PointBatch:
    steps = np.arange(start, start + n, dtype=np.int64)
    rng = np.random.default_rng(start)
    vals = _f32(level + 2.0 * np.exp(-steps / 2e7) + rng.normal(0, 0.02, n))
    times = np.multiply(steps, 0.01, dtype=np.float64) + t0
    return PointBatch(steps, times, vals)


def _seed_part(url: str, first: int, runs: int, points: int, seed: int) -> tuple[int, int]:
    """Worker: `runs` small runs sharing `points` points; returns (runs, points) written."""
    rng = np.random.default_rng(seed)
    now = time.time()
    written = 0
    with open_store(url) as store:
        for at in range(0, runs, IMPORT_RUNS):
            count = min(IMPORT_RUNS, runs - at)
            batch = _runs(rng, now, first + at, count, big=False)
            # run j of the worker gets points // runs, the first points % runs one more
            extra = max(0, min(count, points % runs - at))
            base = points // runs
            t0s = [r.created_at for r in batch]
            pts = _small_batches(rng, base + 1, t0s[:extra]) + _small_batches(
                rng, base, t0s[extra:]
            )
            written += sum(len(b.steps) for d in pts for b in d.values())
            store.import_runs(list(zip(batch, pts, strict=True)))
    return runs, written


def _seed_big(url: str, first: int, points: int, seed: int) -> int:
    rng = np.random.default_rng(seed)
    with open_store(url) as store:
        run = _runs(rng, time.time(), first, 1, big=True)[0]
        run.name = f"big-{run.name}"
        run.total_steps = points
        store.create_run(run)
        level = float(rng.uniform(0.2, 1.0))
        for start in range(0, points, BIG_BATCH):
            n = min(BIG_BATCH, points - start)
            store.write_points(run.id, {BIG_KEY: _big_batch(start, n, run.created_at, level)})
            if (start + n) % (10 * BIG_BATCH) == 0:  # progress: a 100 M-point run takes minutes
                print(f"  big run {run.id}: {start + n:,} points", file=sys.stderr, flush=True)
        for key, b in _small_batches(rng, 1000, [run.created_at])[0].items():
            if key != BIG_KEY:
                store.write_points(run.id, {key: b})
    return points


def seed(args: argparse.Namespace) -> dict[str, Any]:
    url = args.url
    with open_store(url) as store:
        before = store.count_runs(RunQuery(archived=None))
    workers = args.workers or (2 if url.startswith("sqlite") else 3)
    salt = int.from_bytes(os.urandom(4), "little")
    t0 = time.perf_counter()
    cpu0 = _cpu_used()
    parts = []
    per = math.ceil(args.runs / workers) if args.runs else 0
    for w in range(workers):
        n = min(per, args.runs - w * per)
        if n > 0:
            share = args.points * n // max(1, args.runs)
            parts.append((url, before + w * per, n, share, salt + w))
    if len(parts) == 1:
        done = [_seed_part(*parts[0])]
    elif parts:
        with multiprocessing.get_context("spawn").Pool(len(parts)) as pool:
            done = pool.starmap(_seed_part, parts)
    else:
        done = []
    small_s = time.perf_counter() - t0
    small_cpu = _cpu_used() - cpu0
    runs_written = sum(d[0] for d in done)
    small_points = sum(d[1] for d in done)
    t1 = time.perf_counter()
    bigs = [
        (url, before + runs_written + k, args.big_points, salt + 1000 + k)
        for k in range(args.big_runs)
    ]
    # SQLite: one at a time (write_points encodes inside its write transaction, so a second
    # writer would only wait); PostgreSQL: up to `workers` big runs at once
    big_workers = 1 if url.startswith("sqlite") else min(workers, len(bigs))
    if big_workers > 1:
        with multiprocessing.get_context("spawn").Pool(big_workers) as pool:
            big_points = sum(pool.starmap(_seed_big, bigs))
    else:
        big_points = sum(_seed_big(*b) for b in bigs)
    big_s = time.perf_counter() - t1
    big_cpu = _cpu_used() - cpu0 - small_cpu
    out = {
        "url": _safe(url),
        "runs_before": before,
        "runs_written": runs_written + args.big_runs,
        "small_points": small_points,
        "small_seconds": round(small_s, 2),
        "runs_per_s": round(runs_written / small_s, 1) if small_s else None,
        "small_points_per_s": round(small_points / small_s) if small_s else None,
        "small_cpu_seconds": round(small_cpu, 2),
        "runs_per_cpu_s": round(runs_written / small_cpu, 1) if small_cpu else None,
        "small_points_per_cpu_s": round(small_points / small_cpu) if small_cpu else None,
        "big_points": big_points,
        "big_seconds": round(big_s, 2),
        "big_points_per_s": round(big_points / big_s) if big_s and big_points else None,
        "big_cpu_seconds": round(big_cpu, 2),
        "big_points_per_cpu_s": round(big_points / big_cpu) if big_cpu and big_points else None,
        "workers": workers,
        "load_average": [round(x, 1) for x in os.getloadavg()],
    }
    print(json.dumps(out))
    return out


def _cpu_used() -> float:
    """CPU seconds of this process and its finished workers: on a shared machine a rate per
    CPU second says what the code costs; the wall rate also says how busy the machine was."""
    me, kids = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def _safe(url: str) -> str:
    """The url without a password."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://…@{rest.split('@', 1)[1]}"
    return url


# measuring --------------------------------------------------------------------------------
def _median_ms(fn: Callable[[], Any], reps: int) -> float:
    fn()  # warm (connection pool, page cache)
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    ms = round(statistics.median(times) * 1000, 1)
    print(f"  {ms} ms", file=sys.stderr, flush=True)  # progress: a slow store takes minutes
    return ms


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return math.nan


def _cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _server_pid(port: int) -> int:
    """The uvicorn process listening on `port` (a child of this one)."""
    me = os.getpid()
    for p in Path("/proc").iterdir():
        if not p.name.isdigit():
            continue
        try:
            stat = (p / "stat").read_text()
            cmd = (p / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == me and str(port).encode() in cmd:
            return int(p.name)
    raise RuntimeError("server process not found")


ROWS: tuple[tuple[str, str, float], ...] = (
    ("runs_newest_ms", "Runs page first page, newest, API (/runs, rows)", 100),
    ("runs_summaries_ms", "Runs page first page with summaries, API (/runs)", 100),
    ("runs_by_name_ms", "Runs table sorted by name, API (/table)", 100),
    ("runs_by_metric_ms", "Runs table sorted by a summary metric, API (/table)", 100),
    ("runs_by_config_ms", "Runs table sorted by a config value, API (/table)", 100),
    ("runs_project_ms", "Runs page filtered by project, API", 100),
    ("runs_status_ms", "Runs page filtered by status, API", 100),
    ("runs_tag_ms", "Runs page filtered by tag, API", 100),
    ("runs_search_ms", "Runs page, name search, API", 100),
    ("count_ms", "count of runs, API (/runs?limit=1)", 100),
    ("facets_ms", "facets: runs per project, status, model, API (/facets)", 100),
    ("run_page_ms", "Run page of the biggest run, API", 300),
    ("run_page_rss_mb", "server memory over idle after the Run page (MB)", 300),
    ("series_ds_ms", "one series of the biggest run downsampled to 2,000", 100),
    ("compare50_ms", "Compare 50 runs with curves, API", 500),
    ("sweep_ms", "Sweep page of a project, API", 1000),
    ("api_runs_config_ms", "Api().runs(config=…) first page", 100),
    ("api_run_prefix_ms", "Api().run(id prefix)", 100),
    ("idle_cpu_pct", "idle server CPU, no page open (% of a core)", 2),
)


def measure(args: argparse.Namespace) -> dict[str, Any]:
    from trainboard import Api

    url = args.url
    reps = args.reps
    with open_store(url) as store:
        total = store.count_runs(RunQuery(archived=None))
        biggest = max(
            store.list_runs(RunQuery(search="big-", archived=None))
            or store.list_runs(RunQuery(limit=1)),
            key=lambda r: r.summary[BIG_KEY].count if BIG_KEY in r.summary else 0,
        )
        some = store.list_runs(RunQuery(limit=50))
    big_points = biggest.summary[BIG_KEY].count if BIG_KEY in biggest.summary else 0
    out: dict[str, Any] = {"runs": total, "biggest_run_points": big_points}
    log_path = Path(tempfile.mkdtemp(prefix="tb-scale-")) / "server.log"
    with server(url, log_path) as base:
        port = int(base.rsplit(":", 1)[1])
        pid = _server_pid(port)
        client = httpx.Client(base_url=base + "/api/v1", timeout=600)

        def get(path: str, **params: Any) -> Callable[[], Any]:
            def call() -> Any:
                r = client.get(path, params=params)
                r.raise_for_status()
                return r

            return call

        page = {"limit": 200, "fields": "row"}
        out["runs_newest_ms"] = _median_ms(get("/runs", **page), reps)
        out["runs_summaries_ms"] = _median_ms(get("/runs", limit=200), reps)
        out["runs_by_name_ms"] = _median_ms(get("/table", limit=200, sort="name", desc=False), reps)
        out["runs_by_metric_ms"] = _median_ms(
            get("/table", limit=200, sort="metric.eval/loss", desc=False), reps
        )
        out["runs_by_config_ms"] = _median_ms(
            get("/table", limit=200, sort="config.lr", desc=True, columns="config.lr"), reps
        )
        out["runs_project_ms"] = _median_ms(get("/runs", project=PROJECTS[3], **page), reps)
        out["runs_status_ms"] = _median_ms(get("/runs", status="failed", **page), reps)
        out["runs_tag_ms"] = _median_ms(get("/runs", tag="ablation", **page), reps)
        out["runs_search_ms"] = _median_ms(get("/runs", search="lion-lr3", **page), reps)
        out["count_ms"] = _median_ms(get("/runs", limit=1, fields="row"), reps)
        out["facets_ms"] = _median_ms(get("/facets"), reps)
        idle_rss = _rss_mb(pid)
        out["run_page_ms"] = _median_ms(get(f"/runs/{biggest.id}"), max(3, reps // 3))
        out["run_page_rss_mb"] = round(_rss_mb(pid) - idle_rss, 1)
        out["series_ds_ms"] = _median_ms(
            get(f"/runs/{biggest.id}/series", keys=BIG_KEY, max_points=2000), reps
        )
        ids = ",".join([biggest.id, *[r.id for r in some[:49]]])
        out["compare50_ms"] = _median_ms(
            lambda: (
                get("/compare", runs=ids)(),
                get("/compare/series", runs=ids, key="train/loss", max_points=1000)(),
            ),
            max(3, reps // 3),
        )
        out["sweep_ms"] = _median_ms(get("/sweep", project=PROJECTS[5]), max(3, reps // 3))
        cpu0 = _cpu_s(pid)
        time.sleep(args.idle_seconds)
        out["idle_cpu_pct"] = round(100 * (_cpu_s(pid) - cpu0) / args.idle_seconds, 2)
        client.close()
    with Api(url) as api:
        out["api_runs_config_ms"] = _median_ms(
            lambda: api.runs(config={"optimizer": "lion"}, page_size=100)[:100], reps
        )
        prefix = some[7].id[:8]
        out["api_run_prefix_ms"] = _median_ms(lambda: api.run(prefix), reps)
    out["machine"] = f"{os.cpu_count()} cores, {_mem_gib():.1f} GiB"
    out["date"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    out["url"] = _safe(url)
    print(json.dumps(out))
    print(markdown(out))
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1))
    return out


def _mem_gib() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) / 2**20
    return math.nan


def markdown(m: dict[str, Any]) -> str:
    """The measured figures as the issue's table: what, target, figure, pass."""
    head = (
        f"{m['runs']:,} runs, biggest run {m['biggest_run_points']:,} points ({m['url']}, "
        f"{m['machine']}, {m['date']})\n\n| what | target | measured | pass |\n|---|---|---|---|"
    )
    lines = [head]
    for key, what, target in ROWS:
        if key not in m:
            continue
        v = m[key]
        unit = "" if key.endswith(("_mb", "_pct")) else " ms"
        ok = "pass" if v <= target else "FAIL"
        lines.append(f"| {what} | ≤ {target:g}{unit} | {v:g}{unit} | {ok} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("seed", help="add runs and points to a store")
    s.add_argument("--url", required=True)
    s.add_argument("--runs", type=int, required=True)
    s.add_argument("--points", type=int, required=True, help="total over the --runs runs")
    s.add_argument("--big-runs", type=int, default=0)
    s.add_argument("--big-points", type=int, default=0, help="points of each big run")
    s.add_argument("--workers", type=int, default=0)
    m = sub.add_parser("measure", help="time every page against a store")
    m.add_argument("--url", required=True)
    m.add_argument("--reps", type=int, default=9)
    m.add_argument("--idle-seconds", type=float, default=10.0)
    m.add_argument("--json", help="also write the figures to this file")
    args = p.parse_args(argv)
    if args.cmd == "seed":
        if args.runs < 0 or args.points < 0 or args.big_runs < 0 or args.big_points < 0:
            p.error("counts must be >= 0")
        seed(args)
    else:
        measure(args)


if __name__ == "__main__":
    main()
