"""Run every benchmark, trainboard beside the anchors, in one go, and print one table.

    python -m bench.run [--only NAME[,NAME]] [--quick] [--record] [--no-anchors]

Each workload is a subprocess that prints one JSON line: trainboard's (bench/tb_*.py) with this
venv's python, the anchors' (bench/anchors/*_bench.py) with bench/.venv-anchors's python (see
bench/requirements-anchors.txt; TensorBoard's writer is torch's SummaryWriter, so its script runs
with this venv). `--record` writes the table, the machine and the raw figures to
bench/RESULTS.md. Nothing here is a test: numbers are reported, pass/fail is against DESIGN.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
OUT = BENCH / "out"
ANCHOR_PY = BENCH / ".venv-anchors" / "bin" / "python"
ANCHORS = ("tensorboard", "mlflow", "trackio", "aim", "wandb")
ANCHOR_NAMES = {
    "tensorboard": "TensorBoard",
    "mlflow": "MLflow",
    "trackio": "trackio",
    "aim": "Aim",
    "wandb": "wandb (offline)",
}
# Which anchor workloads exist (wandb offline has no reader; see its script).
ANCHOR_WORKLOADS = {
    "log_cost": ANCHORS,
    "ingest": ANCHORS,
    "read": ("tensorboard", "mlflow", "trackio", "aim"),
    "serve": ("tensorboard", "mlflow"),  # trackio's and Aim's servers were not measured
    "kill": ("tensorboard", "mlflow", "trackio", "aim"),  # wandb offline: no reader
    "outage": ("mlflow",),  # the one anchor here that logs to a remote server
}

# Groups a user can pick with --only: each runs trainboard's workloads and the anchors' named.
GROUPS: dict[str, tuple[list[tuple[str, str]], str | None]] = {
    # name: ([(module, workload), ...] for trainboard, anchor workload or None)
    "log": ([("tb_sdk", "log_cost")], "log_cost"),
    "ingest": ([("tb_store", "ingest"), ("tb_sdk", "ingest")], "ingest"),
    "read": ([("tb_store", "read")], "read"),
    "api": ([("tb_api", "series")], "serve"),
    "runs": ([("tb_api", "runs_list")], None),
    "compare": ([("tb_api", "compare")], None),
    "browser": (
        [
            ("tb_browser", "log_to_pixels"),
            ("tb_browser", "first_paint"),
            ("tb_browser", "compare_paint"),
        ],
        None,
    ),
    "export": ([("tb_export", "export")], None),
    "pyapi": ([("tb_api_read", "read")], None),
    "loss": ([("tb_loss", "sigkill")], "kill"),
    "outage": ([("tb_loss", "outage")], "outage"),
    "truth": ([("tb_truth", "truth")], None),
    # TensorBoard import beside TensorBoard's own loader, both in the one workload (#8)
    "tbimport": ([("tb_tbimport", "tbimport")], None),
}


@dataclass
class Row:
    """One line of the table: where trainboard's figure and the anchors' figures come from."""

    label: str
    target: str
    unit: str
    better: str  # "lower" | "higher"
    tb: tuple[str, str]  # (trainboard workload id "module.workload", key)
    anchor: tuple[str, str] | None = None  # (anchor workload, key)
    ok: Callable[[float], bool] | None = None
    scale_to: int | None = None  # anchors measured at fewer points: scale time linearly
    anchor_only: tuple[str, ...] = ()
    notes: list[str] = field(default_factory=list)


ROWS = [
    Row(
        "log() of 4 scalars, median in the caller",
        "≤ 3 µs",
        "µs",
        "lower",
        ("tb_sdk.log_cost", "log_us"),
        ("log_cost", "log_us"),
        lambda v: v <= 3,
    ),
    Row(
        "sustained ingest into SQLite, through the store",
        "≥ 1,000,000 pts/s",
        "pts/s",
        "higher",
        ("tb_store.ingest", "ingest_pps"),
        None,  # the anchors have no store-level API: they are compared end to end, below
        lambda v: v >= 1e6,
    ),
    Row(
        "ingest end to end: log() until durable (SDK)",
        "≥ 1,000,000 pts/s",
        "pts/s",
        "higher",
        ("tb_sdk.ingest", "ingest_pps"),
        ("ingest", "ingest_pps"),
        lambda v: v >= 1e6,
    ),
    Row(
        "disk per stored scalar point, written through the store",
        "≤ 12 B",
        "B",
        "lower",
        ("tb_store.ingest", "bytes_per_point"),
        ("ingest", "bytes_per_point"),
        lambda v: v <= 12,
    ),
    Row(
        "disk per stored scalar point, written by the SDK",
        "≤ 12 B",
        "B",
        "lower",
        ("tb_sdk.ingest", "bytes_per_point"),
        ("ingest", "bytes_per_point"),
        lambda v: v <= 12,
    ),
    Row(
        "read 1,000,000-point series whole, own reader",
        "—",
        "ms",
        "lower",
        ("tb_store.read", "read_whole_ms"),
        ("read", "read_whole_ms"),
        scale_to=1_000_000,
    ),
    Row(
        "read 1,000,000-point series downsampled to 2,000, store",
        "—",
        "ms",
        "lower",
        ("tb_store.read", "read_ds_ms"),
        ("read", "read_ds_ms"),
        scale_to=1_000_000,
    ),
    Row(
        "1,000,000-point series downsampled to 2,000, API",
        "≤ 50 ms",
        "ms",
        "lower",
        ("tb_api.series", "api_ds_ms"),
        ("serve", "api_ds_ms"),
        lambda v: v <= 50,
    ),
    Row(
        "1,000,000-point series whole, API",
        "—",
        "ms",
        "lower",
        ("tb_api.series", "api_whole_ms"),
        ("serve", "api_whole_ms"),
        scale_to=1_000_000,
    ),
    Row(
        "server start until it serves the 1,000,000-point series",
        "—",
        "s",
        "lower",
        ("tb_api.series", "server_load_s"),
        ("serve", "server_load_s"),
    ),
    Row(
        "runs list, 10,000 runs: first page as the Runs page asks (200 rows), API",
        "≤ 200 ms",
        "ms",
        "lower",
        ("tb_api.runs_list", "list_ui_page_ms"),
        ("serve", "list_page_ms"),
        lambda v: v <= 200,
    ),
    Row(
        "runs list, 10,000 runs: first page (200) with summaries, API",
        "≤ 200 ms",
        "ms",
        "lower",
        ("tb_api.runs_list", "list_page_ms"),
        ("serve", "list_page_ms"),
        lambda v: v <= 200,
    ),
    Row(
        "runs list, 10,000 runs: all in one response, API",
        "≤ 200 ms",
        "ms",
        "lower",
        ("tb_api.runs_list", "list_all_ms"),
        ("serve", "list_all_ms"),
        lambda v: v <= 200,
    ),
    Row(
        "compare 5 runs × 1,000,000 points × 4 metrics, API (table)",
        "≤ 300 ms",
        "ms",
        "lower",
        ("tb_api.compare", "compare_5x1M_ms"),
        None,
        lambda v: v <= 300,
    ),
    Row(
        "compare 5 runs × 1,000,000 points × 4 metrics + their curves, API",
        "≤ 300 ms",
        "ms",
        "lower",
        ("tb_api.compare", "compare_5x1M_curves_ms"),
        None,
        lambda v: v <= 300,
    ),
    Row(
        "compare 50 runs × 100,000 points × 4 metrics, API (table)",
        "—",
        "ms",
        "lower",
        ("tb_api.compare", "compare_50x100k_ms"),
    ),
    Row(
        "compare 50 runs × 100,000 points × 4 metrics + their curves, API",
        "—",
        "ms",
        "lower",
        ("tb_api.compare", "compare_50x100k_curves_ms"),
    ),
    Row(
        "log() to pixels on an open Run page (median)",
        "≤ 1 s",
        "ms",
        "lower",
        ("tb_browser.log_to_pixels", "pixels_median_ms"),
        None,
        lambda v: v <= 1000,
    ),
    Row(
        "log() to pixels on an open Run page (worst)",
        "≤ 1 s",
        "ms",
        "lower",
        ("tb_browser.log_to_pixels", "pixels_max_ms"),
        None,
        lambda v: v <= 1000,
    ),
    Row(
        "Run page first paint, 6 charts × 1,000,000 points",
        "≤ 1.5 s",
        "ms",
        "lower",
        ("tb_browser.first_paint", "paint_median_ms"),
        None,
        lambda v: v <= 1500,
    ),
    Row(
        "Compare page first paint, 10 runs × 100,000 points",
        "—",
        "ms",
        "lower",
        ("tb_browser.compare_paint", "compare_paint_ms"),
    ),
    Row(
        "Python API: history() of a 1,000,000-point key as numpy, CPU time vs read_series",
        "≤ 2×",
        "×",
        "lower",
        ("tb_api_read.read", "history_numpy_vs_read_series_cpu"),
        ok=lambda v: v <= 2,
    ),
    Row(
        "Python API: history() of a 1,000,000-point key as a DataFrame, CPU time vs read_series",
        "≤ 2×",
        "×",
        "lower",
        ("tb_api_read.read", "history_pandas_vs_read_series_cpu"),
        ok=lambda v: v <= 2,
    ),
    Row(
        "Python API: best_run over 10,000 runs (Compare page ranking)",
        "—",
        "ms",
        "lower",
        ("tb_api_read.read", "best_run_ms"),
    ),
    Row(
        "export 1,000,000 points as web CSV (export.csv), until the last byte",
        "≤ 1 s",
        "s",
        "lower",
        ("tb_export.export", "web_csv_s"),
        ok=lambda v: v <= 1,
    ),
    Row(
        "export 1,000,000 points as web JSON (export.json)",
        "≥ 1,000,000 pts/s",
        "pts/s",
        "higher",
        ("tb_export.export", "web_json_pps"),
        ok=lambda v: v >= 1_000_000,
    ),
    Row(
        "export a 1,000,000-point chart as CSV (series.csv)",
        "≥ 1,000,000 pts/s",
        "pts/s",
        "higher",
        ("tb_export.export", "series_csv_pps"),
        ok=lambda v: v >= 1_000_000,
    ),
    Row(
        "export: server memory above its idle RSS during the web CSV",
        "flat",
        "MB",
        "lower",
        ("tb_export.export", "web_csv_rss_mb"),
    ),
    Row(
        "SIGKILL: age of the oldest lost point at the kill",
        "≤ 1 s (flush interval)",
        "s",
        "lower",
        ("tb_loss.sigkill", "kill_oldest_lost_s"),
        ("kill", "kill_oldest_lost_s"),
        lambda v: v <= 1.0,
    ),
    Row(
        "SIGKILL: logged points lost, all trials together",
        "none that log() returned from",
        "pts",
        "lower",
        ("tb_loss.sigkill", "kill_lost_points"),
        ("kill", "kill_lost_points"),
        lambda v: v == 0,
    ),
    Row(
        "remote server down: points lost",
        "none",
        "pts",
        "lower",
        ("tb_loss.outage", "outage_lost_points"),
        ("outage", "outage_lost_points"),
        lambda v: v == 0,
    ),
    Row(
        "remote server down: longest stall of the training loop",
        "—",
        "s",
        "lower",
        ("tb_loss.outage", "outage_max_stall_s"),
        ("outage", "outage_max_stall_s"),
    ),
    Row(
        "TensorBoard import, 1,000,000 scalar points: times faster than TensorBoard's loader",
        "≥ 10×",
        "×",
        "higher",
        ("tb_tbimport.tbimport", "ratio"),
        ok=lambda v: v >= 10,
    ),
    Row(
        "TensorBoard import, 1,000,000 scalar points, into SQLite",
        "—",
        "s",
        "lower",
        ("tb_tbimport.tbimport", "trainboard_s"),
    ),
    Row(
        "TensorBoard's EventAccumulator (size_guidance 0) on the same log",
        "—",
        "s",
        "lower",
        ("tb_tbimport.tbimport", "tensorboard_s"),
    ),
    # the truth suite (bench/tb_truth.py): verdicts and ETA on synthetic runs with known faults
    Row(
        "truth suite: injected faults missed (13 checks × 2 naming families)",
        "0 (all found)",
        "pts",
        "lower",
        ("tb_truth.truth", "faults_missed"),
        ok=lambda v: v == 0,
    ),
    Row(
        "truth suite: false alarms on healthy runs (50 runs, 5 families)",
        "0",
        "pts",
        "lower",
        ("tb_truth.truth", "false_alarms"),
        ok=lambda v: v == 0,
    ),
    Row(
        "truth suite: health-verdict changes per hour on healthy runs, replayed as they train",
        "≤ 1",
        "pts",
        "lower",
        ("tb_truth.truth", "verdict_changes_per_hour_healthy"),
        ok=lambda v: v <= 1,
    ),
    *[
        Row(
            f"ETA error after {pct}% of a run, {kind} (worst of 3)",
            target,
            "%",
            "lower",
            ("tb_truth.truth", f"eta_err_{kind.replace(' ', '_')}_{pct}_max_pct"),
            ok=(lambda lim: lambda v: v <= lim)(limit) if pct == 10 else None,
        )
        for kind, limit in (("steady", 10.0), ("eval pauses", 20.0))
        for pct in (10, 25, 50)
        for target in ([f"≤ {limit:.0f} %"] if pct == 10 else ["—"])
    ],
]


def _last_json(stdout: str) -> dict[str, Any] | None:
    """The workload's JSON line: the last stdout line that parses (some tools print banners)."""
    for line in reversed(stdout.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return dict(json.loads(line))
            except ValueError:
                continue
    return None


def _run(cmd: list[str], cwd: Path, timeout: float, env: dict[str, str]) -> dict[str, Any]:
    t0 = time.perf_counter()
    try:
        p = subprocess.run(
            cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    res = _last_json(p.stdout)
    if p.returncode != 0 or res is None:
        tail = (p.stderr or p.stdout).strip().splitlines()[-3:]
        return {"error": f"exit {p.returncode}: " + " | ".join(tail)[-300:]}
    res["_seconds"] = round(time.perf_counter() - t0, 1)
    return res


def run_trainboard(module: str, workload: str, quick: bool, timeout: float) -> dict[str, Any]:
    d = OUT / f"tb_{module}_{workload}"
    cmd = [sys.executable, "-m", f"bench.{module}", workload, "--dir", str(d)]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    for k in ("TRAINBOARD_URL", "TRAINBOARD_DB"):
        env.pop(k, None)
    env["TRAINBOARD_HOME"] = str(d / "home")
    return _run(cmd + (["--quick"] if quick else []), ROOT, timeout, env)


def run_anchor(tool: str, workload: str, quick: bool, timeout: float) -> dict[str, Any]:
    script = BENCH / "anchors" / f"{tool}_bench.py"
    py = Path(sys.executable) if tool == "tensorboard" else ANCHOR_PY
    if not py.exists():
        return {"error": f"not installed ({py} missing: make bench builds it)"}
    d = OUT / f"{tool}_{workload}"
    cmd = [str(py), str(script), workload, "--dir", str(d)] + (["--quick"] if quick else [])
    env = dict(os.environ, PYTHONPATH=str(BENCH / "anchors"), HOME=str(OUT / "home"))
    env.setdefault("HF_HUB_OFFLINE", "1")
    return _run(cmd, BENCH / "anchors", timeout, env)


def _fmt(v: float, unit: str) -> str:
    if unit == "pts/s":
        return f"{v / 1e6:.2f} M" if v >= 1e6 else f"{v / 1e3:.1f} k"
    if unit == "µs" or unit == "B":
        return f"{v:.2f}" if v < 10 else f"{v:.0f}"
    if unit == "s":
        return f"{v:.2f}"
    if unit == "pts":
        return f"{v:.0f}"
    if unit == "×":
        return f"{v:.2f}"
    return f"{v:.1f}" if v < 100 else f"{v:,.0f}"


def _anchor_value(row: Row, res: dict[str, Any]) -> tuple[float | None, str]:
    """An anchor's figure for a row (scaled to the row's size when it measured fewer points)."""
    assert row.anchor is not None
    if "error" in res:
        return None, "error"
    v = res.get(row.anchor[1])
    if v is None:
        return None, "n/a"
    runs = res.get("list_runs")
    if "runs list" in row.label and runs and runs < 10_000:
        return float(v), f"{_fmt(float(v), row.unit)}† ({runs:,} runs)"
    n = res.get("read_points")
    if row.scale_to and n and n < row.scale_to:
        v = v * row.scale_to / n
        return float(v), f"{_fmt(float(v), row.unit)}*"
    return float(v), _fmt(float(v), row.unit)


def build_table(results: dict[str, Any], anchors: tuple[str, ...]) -> list[list[str]]:
    head = ["what", "target", "trainboard", *(ANCHOR_NAMES[a] for a in anchors)]
    table = [head + ["vs best anchor", "pass"]]
    for row in ROWS:
        ran = row.tb[0] in results["trainboard"] or (
            row.anchor and any(k.endswith("." + row.anchor[0]) for k in results["anchors"])
        )
        if not ran:  # a group left out with --only
            continue
        tb = results["trainboard"].get(row.tb[0], {})
        v = tb.get(row.tb[1])
        if "error" in tb or v is None:
            cell, verdict = ("error" if "error" in tb else "not run"), "—"
        else:
            cell = _fmt(float(v), row.unit) + (f" {row.unit}" if row.unit != "pts" else "")
            if "runs list" in row.label and tb.get("runs", 10_000) < 10_000:
                cell += f" ({tb['runs']:,} runs)"
            cell += _smaller(row.tb[1], tb)
            verdict = ("pass" if row.ok(float(v)) else "FAIL") if row.ok else "—"
        cells, best = [], None
        for a in anchors:
            if row.anchor is None:
                cells.append("—")
                continue
            res = results["anchors"].get(f"{a}.{row.anchor[0]}")
            if res is None:
                cells.append("—" if a in ANCHOR_WORKLOADS[row.anchor[0]] else "n/a")
                continue
            av, text = _anchor_value(row, res)
            cells.append(text)
            if av is not None and "†" not in text:  # fewer runs: not comparable
                if best is None or (av < best if row.better == "lower" else av > best):
                    best = av
        table.append([row.label, row.target, cell, *cells, _ratio(v, best, row.better), verdict])
    return table


# Figures whose workload ran smaller than the row says (with --quick): key -> (size, full size)
_SIZES = {
    "paint_median_ms": lambda tb: (tb.get("paint_points_per_chart"), 1_000_000),
    "compare_paint_ms": lambda tb: (tb.get("compare_paint_points"), 100_000),
    "compare_5x1M_ms": lambda tb: (tb.get("compare_points_per_metric", {}).get("5x1M"), 10**6),
    "compare_5x1M_curves_ms": lambda tb: (
        tb.get("compare_points_per_metric", {}).get("5x1M"),
        10**6,
    ),
    "compare_50x100k_curves_ms": lambda tb: (
        tb.get("compare_points_per_metric", {}).get("50x100k"),
        100_000,
    ),
    "compare_50x100k_ms": lambda tb: (
        tb.get("compare_points_per_metric", {}).get("50x100k"),
        100_000,
    ),
}


def _smaller(key: str, tb: dict[str, Any]) -> str:
    n, full = _SIZES[key](tb) if key in _SIZES else (None, 0)
    return f" (at {n:,} pts)" if n and n < full else ""


def _ratio(v: float | None, best: float | None, better: str) -> str:
    """How many times better (or worse) trainboard's figure is than the best anchor's."""
    if best is None or v is None:
        return "—"
    v = float(v)
    if v == best:
        return "same"
    if v == 0 or best == 0:  # e.g. points lost: a ratio to zero means nothing
        return "better" if (v < best) == (better == "lower") else "worse"
    x = best / v if better == "lower" else v / best
    if 0.95 <= x <= 1.05:
        return "about the same"
    return f"{x:,.1f}× better" if x >= 1 else f"{1 / x:,.1f}× worse"


def render(table: list[list[str]]) -> str:
    """A Markdown table (also readable in a terminal)."""
    lines = ["| " + " | ".join(table[0]) + " |", "|" + "---|" * len(table[0])]
    lines += ["| " + " | ".join(r) + " |" for r in table[1:]]
    return "\n".join(lines)


def machine() -> dict[str, str]:
    model, cores = platform.processor() or "?", str(os.cpu_count())
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        for line in out.splitlines():
            k, _, v = line.partition(":")
            if k.strip() == "Model name":
                model = v.strip()
            elif k.strip() == "CPU(s)":
                cores = v.strip()
    except OSError:
        pass
    mem = "?"
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": model,
        "cores": cores,
        "ram": mem,
        "python": platform.python_version(),
        "os": platform.platform(),
        "commit": commit or "?",
    }


def record(text: str, results: dict[str, Any], info: dict[str, str], quick: bool) -> None:
    notes = (BENCH / "NOTES.md").read_text() if (BENCH / "NOTES.md").exists() else ""
    raw = json.dumps(results, indent=1, sort_keys=True)
    body = f"""# Benchmark results

Recorded by `python -m bench.run{" --quick" if quick else ""} --record` (`make bench` runs the
same without `--record`). {info["date"]}, commit {info["commit"]}.

Machine: {info["cpu"]}, {info["cores"]} cores, {info["ram"]} RAM; Python {info["python"]};
{info["os"]}. The machine was shared with other work while this ran: expect noise.

{text}

"vs best anchor": how many times better (or worse) trainboard's figure is than the best of the
anchors on the same row. `*`: the anchor was too slow to measure at full size; it was measured
at fewer points (see the raw figures: `read_points`) and scaled linearly to 1,000,000.
`†`: measured with fewer runs (named), not scaled: seeding 10,000 runs through that tool's
own API takes too long here. "n/a": the anchor has no such reader or route; "—": not measured
for that tool.

{notes}
## Raw figures

<details><summary>JSON from every workload</summary>

```json
{raw}
```

</details>
"""
    (BENCH / "RESULTS.md").write_text(body)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    p.add_argument("--only", default="", help=f"comma-separated groups: {', '.join(GROUPS)}")
    p.add_argument("--quick", action="store_true", help="smaller sizes, about 3 minutes")
    p.add_argument("--record", action="store_true", help="write bench/RESULTS.md")
    p.add_argument("--no-anchors", action="store_true", help="trainboard only")
    a = p.parse_args(argv)
    groups = [g for g in a.only.split(",") if g] or list(GROUPS)
    unknown = [g for g in groups if g not in GROUPS]
    if unknown:
        p.error(f"--only: unknown group(s) {', '.join(unknown)}; choose from {', '.join(GROUPS)}")
    timeout = 240.0 if a.quick else 420.0
    OUT.mkdir(exist_ok=True)
    results: dict[str, Any] = {"trainboard": {}, "anchors": {}, "quick": a.quick}
    anchors = () if a.no_anchors else ANCHORS
    t_all = time.perf_counter()
    for g in groups:
        tb_workloads, anchor_workload = GROUPS[g]
        for module, workload in tb_workloads:
            print(
                f"[{time.perf_counter() - t_all:6.0f}s] trainboard {module}.{workload} ...",
                flush=True,
            )
            res = run_trainboard(module, workload, a.quick, timeout)
            results["trainboard"][f"{module}.{workload}"] = res
            print(f"         {json.dumps(res)}", flush=True)
        if anchor_workload == "outage" and a.quick:
            print("         (--quick: MLflow's outage left out; its retries back off for minutes)")
        elif anchor_workload:
            for tool in anchors:
                if tool not in ANCHOR_WORKLOADS[anchor_workload]:
                    continue
                print(
                    f"[{time.perf_counter() - t_all:6.0f}s] {tool} {anchor_workload} ...",
                    flush=True,
                )
                res = run_anchor(tool, anchor_workload, a.quick, timeout)
                results["anchors"][f"{tool}.{anchor_workload}"] = res
                print(f"         {json.dumps(res)}", flush=True)
    results["seconds"] = round(time.perf_counter() - t_all, 1)
    (OUT / "results.json").write_text(json.dumps(results, indent=1))
    text = render(build_table(results, anchors or ANCHORS))
    print()
    print(text)
    print(
        f"\n{'quick' if a.quick else 'full'} run: {results['seconds']:.0f} s; "
        f"raw figures in {OUT / 'results.json'}"
    )
    if a.record:
        record(text, results, machine(), a.quick)
        print(f"recorded in {BENCH / 'RESULTS.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
