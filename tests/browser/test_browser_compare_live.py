"""The Compare page knows what is running (issue #7): a running run is compared "so far, at step
N of M", is never flagged worse nor offered for archive or delete (the page says why), the page
follows it live through the server's events, and an infinite value draws as a gap, not as a
blank chart."""

from __future__ import annotations

import math

from browser_support import Server, shot, wait_until
from playwright.sync_api import Page, expect

import trainboard

QWEN = "Qwen/Qwen2.5-7B-Instruct"


def _drawn_pixels(ui: Page, metric: str) -> int:
    """Non-transparent pixels on a compare chart's canvas (uPlot draws on a transparent one)."""
    return int(
        ui.evaluate(
            """(m) => {
                const cv = document.querySelector(
                    `[data-testid="compare-chart-card"][data-metric="${m}"] canvas`);
                if (!cv) return -1;
                const d = cv.getContext('2d').getImageData(0, 0, cv.width, cv.height).data;
                let n = 0;
                for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
                return n;
            }""",
            metric,
        )
    )


def test_a_running_run_is_compared_so_far_live_and_never_offered_for_deletion(
    server: Server, ui: Page
) -> None:
    done = trainboard.init(project="sft", name="done", model=QWEN, total_steps=2000)
    for s in range(1, 41):
        m = {"train/loss": 2.0 - s / 100}
        if s % 10 == 0:
            m["eval/loss"] = 1.0 + (40 - s) / 100
        done.log(m, step=s)
    done.finish()
    live = trainboard.init(project="sft", name="live", model=QWEN, total_steps=2000)
    for s in range(1, 141):
        m = {"train/loss": math.inf if s == 70 else 3.0 - s / 100}
        if s % 10 == 0:
            m["eval/loss"] = 1.929 + (140 - s) / 100
        live.log(m, step=s)
    try:
        wait_until(
            lambda: server.api(f"/runs/{live.id}").json()["run"]["last_step"] == 140,
            what="the live run's points stored",
        )
        ui.goto(f"{server.url}/compare?runs={done.id},{live.id}")
        table = ui.get_by_test_id("compare-table")
        head = table.locator(f'th[data-run-id="{live.id}"]')
        expect(head.get_by_test_id("so-far")).to_have_text("so far, at step 140 of 2,000")
        expect(head.get_by_test_id("warning")).to_have_count(0)  # +92.9 % but not "worse"
        delta = table.locator(f'tr[data-row="delta_pct"] td[data-run-id="{live.id}"]')
        expect(delta).to_have_text("+92.9% so far")
        rec = ui.get_by_test_id("recommendation")
        expect(rec.get_by_role("button", name="Archive runs >25% worse (0)")).to_be_disabled()
        expect(rec.get_by_role("button", name="Archive the others (0)")).to_be_disabled()
        expect(rec.get_by_role("button", name="Delete the others…")).to_be_disabled()
        expect(rec.get_by_test_id("archive-note")).to_contain_text(
            "live: still running: archive or delete it once it has ended"
        )
        # the train/loss chart still draws, with the infinite point as a gap
        cards = ui.get_by_test_id("compare-chart-card")
        expect(cards).to_have_count(2)
        # (blanked by the inf, the chart drew its x axis alone: about a third of the pixels)
        wait_until(lambda: _drawn_pixels(ui, "eval/loss") > 500, what="eval/loss drawn")
        wait_until(
            lambda: _drawn_pixels(ui, "train/loss") > 0.6 * _drawn_pixels(ui, "eval/loss"),
            what="train/loss drawn with its lines and y axis",
        )

        # live: new points of the running run reach the page without a reload
        for s in range(141, 161):
            m = {"train/loss": 3.0 - s / 100}
            if s % 10 == 0:
                m["eval/loss"] = 1.5
            live.log(m, step=s)
        expect(head.get_by_test_id("so-far")).to_have_text(
            "so far, at step 160 of 2,000", timeout=15_000
        )
        expect(delta).to_have_text("+50.0% so far", timeout=15_000)
        shot(ui, "compare_running_run")
    finally:
        live.finish()
    # once it ended it is judged like any run: worse than the threshold, offered for archive
    expect(head.get_by_test_id("so-far")).to_have_count(0, timeout=15_000)
    expect(head.get_by_test_id("warning")).to_be_visible()
    expect(rec.get_by_role("button", name="Archive runs >25% worse (1)")).to_be_enabled()
