"""The Runs table at scale in Chromium (#24): time to a painted table, and frame times while
scrolling it (virtual rows, blocks fetched by keyset or offset).

    python -m bench.tb_runs_scroll --url URL [--shots DIR]
    python -m bench.tb_runs_scroll --runs 20000 [--shots DIR]   (seeds a fresh SQLite store)

Against the real server (uvicorn, what `trainboard ui` serves) and headless Chromium:
- "painted": from navigation start to the first animation frame after the table's first run
  row is in the page (performance.now() in that frame), median of 3 loads;
- frames: every requestAnimationFrame delta while the table (a) jumps by its scrollbar to the
  middle and to the end (the blocks there fetched by offset), and (b) is read on with the
  mouse wheel, 40 steps of 600 px (the next blocks by keyset); the longest frame, the 99th
  percentile, and the Long Tasks API's tasks over 50 ms;
- with --shots, screenshots at the top, the middle and the end, at 1400 and at 390 px wide.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, sync_playwright

from bench.common import server
from trainboard.store import open_store
from trainboard.store.records import PointBatch, RunRecord

CHROMIUM = "/usr/bin/chromium"

WATCH = """() => {
  window.__frames = []; window.__long = [];
  let last = performance.now();
  const tick = (t) => {
    window.__frames.push(t - last); last = t; window.__raf = requestAnimationFrame(tick);
  };
  window.__raf = requestAnimationFrame(tick);
  try {
    new PerformanceObserver((l) => {
      for (const e of l.getEntries()) window.__long.push(e.duration);
    }).observe({ type: "longtask" });
  } catch (e) {}
}"""

PAINTED = """() => new Promise((resolve) => {
  const check = () => {
    if (!document.querySelector('tr[data-run-id]')) return requestAnimationFrame(check);
    requestAnimationFrame(() => resolve(performance.now()));
  };
  check();
})"""


def seed(url: str, runs: int) -> None:
    with open_store(url) as store:
        todo: list[tuple[RunRecord, dict[str, PointBatch]]] = []
        for i in range(runs):
            run = RunRecord(id=f"{i:012x}", project=f"team-{i % 20:02d}", name=f"run-{i:06d}",
                            model=f"m{i % 5}", status="finished", created_at=1.7e9 + i,
                            finished_at=1.7e9 + i + 60, config={"lr": (i % 97) / 1000})  # fmt: skip
            pts = {
                "eval/loss": PointBatch.of([1, 2], [1.7e9 + i, 1.7e9 + i + 1], [2.0, 1.0 + i % 9])
            }
            todo.append((run, pts))
            if len(todo) == 2000:
                store.import_runs(todo)
                todo = []
        if todo:
            store.import_runs(todo)


def _settle(page: Page) -> None:
    """Until no placeholder row is in view (its block arrived)."""
    deadline = time.monotonic() + 60
    while page.locator("tr.placeholder").count() and time.monotonic() < deadline:
        page.wait_for_timeout(50)


def frames(page: Page, act: Any) -> dict[str, float]:
    page.evaluate(WATCH)
    act()
    page.wait_for_timeout(300)
    got = page.evaluate(
        "() => { cancelAnimationFrame(window.__raf); return [window.__frames, window.__long]; }"
    )
    fr = sorted(got[0][1:]) or [0.0]
    return {
        "frames": len(fr),
        "max_frame_ms": round(fr[-1], 1),
        "p99_frame_ms": round(fr[min(len(fr) - 1, int(len(fr) * 0.99))], 1),
        "median_frame_ms": round(statistics.median(fr), 1),
        "long_tasks": len(got[1]),
        "longest_task_ms": round(max(got[1], default=0.0), 1),
    }


def measure(url: str, shots: Path | None, group: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    log = Path(tempfile.mkdtemp(prefix="tb-scroll-")) / "server.log"
    with server(url, log) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        path = f"{base}/" + ("" if group else "?group=0")
        painted = []
        for _ in range(3):
            page.goto(path, wait_until="commit")
            painted.append(page.evaluate(PAINTED))
        out["painted_ms"] = round(statistics.median(painted), 1)
        _settle(page)
        box = page.get_by_test_id("runs-scroll")
        out["total"] = page.get_by_test_id("runs-count").inner_text()
        if shots:
            page.screenshot(path=str(shots / "runs-top.png"))

        def jump(fraction: float) -> None:
            box.evaluate(
                "(b, f) => { b.scrollTop = f * (b.scrollHeight - b.clientHeight); }", fraction
            )
            _settle(page)

        out["jump_middle"] = frames(page, lambda: jump(0.5))
        if shots:
            page.screenshot(path=str(shots / "runs-middle.png"))
        out["jump_end"] = frames(page, lambda: jump(1.0))
        if shots:
            page.screenshot(path=str(shots / "runs-end.png"))
        jump(0.5)
        box.hover()

        def wheel() -> None:
            for _ in range(40):
                page.mouse.wheel(0, 600)
                page.wait_for_timeout(30)
            _settle(page)

        out["wheel_on"] = frames(page, wheel)
        out["count_after_wheel"] = page.get_by_test_id("runs-count").inner_text()
        if shots:
            narrow = browser.new_page(viewport={"width": 390, "height": 844})
            narrow.goto(path)
            narrow.locator("tr[data-run-id]").first.wait_for()
            narrow.get_by_test_id("runs-scroll").evaluate(
                "b => { b.scrollTop = b.scrollHeight / 2; }"
            )
            _settle(narrow)
            narrow.screenshot(path=str(shots / "runs-390.png"))
        browser.close()
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.tb_runs_scroll")
    ap.add_argument("--url", help="an existing store; else --runs seeds a fresh SQLite one")
    ap.add_argument("--runs", type=int, default=20_000)
    ap.add_argument("--shots", type=Path)
    ap.add_argument("--group", action="store_true", help="the grouped view (default: flat)")
    args = ap.parse_args(argv)
    url = args.url
    if url is None:
        url = f"sqlite:///{tempfile.mkdtemp(prefix='tb-scroll-')}/runs.db"
        t0 = time.perf_counter()
        seed(url, args.runs)
        print(f"seeded {args.runs} runs in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    if args.shots:
        args.shots.mkdir(parents=True, exist_ok=True)
    out = measure(url, args.shots, args.group)
    out["date"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    print(json.dumps(out))


if __name__ == "__main__":
    main()
