"""A two-rank job's Run page: one small chart per per-rank metric, both ranks overlaid."""

from __future__ import annotations

import time

from browser_support import Server, shot
from playwright.sync_api import Page, expect

from trainboard.store import open_store
from trainboard.store.records import PointBatch, RunRecord


def test_a_two_rank_run_overlays_its_ranks_on_one_chart_per_metric(
    server: Server, ui: Page
) -> None:
    t0 = time.time() - 100
    steps = list(range(0, 50, 5))
    with open_store() as s:
        s.create_run(RunRecord(id="cd34cd34cd34", project="p", name="ddp", created_at=t0))
        batches = {
            "loss": PointBatch.of(steps, [t0 + i for i in steps], [1 / (i + 1) for i in steps])
        }
        for r, speed, util in ((0, 10.0, 90.0), (1, 3.5, 40.0)):
            n = len(steps)
            batches[f"sys/rank{r}/steps_per_s"] = PointBatch.of(
                steps, [t0 + i for i in steps], [speed] * n
            )
            batches[f"sys/rank{r}/gpu/util"] = PointBatch.of(
                steps, [t0 + i for i in steps], [util] * n
            )
        s.write_points("cd34cd34cd34", batches)
        s.update_run("cd34cd34cd34", status="finished", finished_at=t0 + 50)
    ui.goto(f"{server.url}/runs/cd34cd34cd34")
    rate = ui.locator('[data-chart="sys/rank*/steps_per_s"]')
    gpu = ui.locator('[data-chart="sys/rank*/gpu/util"]')
    expect(rate).to_be_visible()
    expect(gpu).to_be_visible()
    # x, rank 0 and rank 1 on one chart each; no chart of one rank alone
    expect(rate.locator(".u-legend .u-series")).to_have_count(3)
    expect(rate.locator(".u-legend")).to_contain_text("sys/rank0/steps_per_s")
    expect(rate.locator(".u-legend")).to_contain_text("sys/rank1/steps_per_s")
    expect(gpu.locator(".u-legend .u-series")).to_have_count(3)
    expect(ui.locator('[data-chart="sys/rank1/steps_per_s"]')).to_have_count(0)
    rate.scroll_into_view_if_needed()
    shot(ui, "run-ranks-overlaid")
