"""The Compare page in the real Chromium: the selection lives in the URL, the best value is
highlighted, and "archive the others" hides the losers from the Runs page until asked for."""

from __future__ import annotations

from browser_support import ARTIFACTS, Server, shot, wait_until
from playwright.sync_api import Browser, Page, expect

import trainboard

QWEN = "Qwen/Qwen2.5-7B-Instruct"


def _run(name: str, eval_losses: list[float], lr: float) -> str:
    """A finished run: train loss every step, eval loss and epoch every 10 steps."""
    run = trainboard.init(project="sft", name=name, model=QWEN, total_steps=30,
                          config={"lr": lr, "num_epochs": 3, "batch_size": 32})  # fmt: skip
    for s in range(1, 31):
        metrics = {"train/loss": 3.0 - s / 20 + lr * 100, "tokens": 512.0 * s}
        if s % 10 == 0:
            metrics |= {"eval/loss": eval_losses[s // 10 - 1], "epoch": s / 10}
        run.log(metrics, step=s)
    run.finish()
    return run.id


def test_compare_page(server: Server, ui: Page) -> None:
    # best eval loss: best 1.0 (epoch 2), mid 1.352 (+35.2 %, warned), close 1.2 (+20 %)
    best = _run("qwen-best", [1.3, 1.0, 1.1], 3e-5)
    mid = _run("qwen-mid", [1.5, 1.4, 1.352], 1e-4)
    close = _run("qwen-close", [1.4, 1.2, 1.25], 3e-4)
    wait_until(lambda: server.api("/runs").json()["total"] == 3, what="3 runs stored")
    ui.goto(f"{server.url}/compare?runs={mid},{best},{close}")

    table = ui.get_by_test_id("compare-table")
    best_row = table.locator('tr[data-row="best_value"]')
    expect(best_row.locator("td")).to_have_count(3)
    # the best value is highlighted, in the best run's column only
    expect(best_row.locator("td[data-best]")).to_have_count(1)
    expect(best_row.locator(f'td[data-run-id="{best}"]')).to_have_class("num best-cell")
    expect(best_row.locator(f'td[data-run-id="{best}"]')).to_have_text("1.0000")
    delta = table.locator('tr[data-row="delta_pct"]')
    expect(delta.locator(f'td[data-run-id="{mid}"]')).to_have_text("+35.2%")
    expect(delta.locator(f'td[data-run-id="{close}"]')).to_have_text("+20.0%")
    expect(table.locator(f'tr[data-row="best_at"] td[data-run-id="{best}"]')).to_have_text(
        "epoch 2 of 3"
    )
    expect(table.locator(f'th[data-run-id="{best}"]').get_by_test_id("trophy")).to_be_visible()
    expect(table.locator(f'th[data-run-id="{mid}"]').get_by_test_id("warning")).to_be_visible()
    expect(table.locator(f'th[data-run-id="{close}"]').get_by_test_id("warning")).to_have_count(0)
    rec = ui.get_by_test_id("recommendation")
    expect(rec).to_contain_text("Keep qwen-best")
    expect(rec).to_contain_text("lowest eval/loss (1.0000); runner-up qwen-close is +20.0% vs best")
    expect(ui.locator(".compare-chart canvas").first).to_be_visible()
    expect(ui.get_by_test_id("config-diff")).to_contain_text("lr")

    # the threshold goes into the URL; a reload shows the same comparison
    ui.get_by_label("warning threshold").fill("10")
    ui.get_by_label("warning threshold").dispatch_event("change")
    wait_until(lambda: "threshold=10" in ui.url, what="threshold in the URL")
    expect(table.locator(f'th[data-run-id="{close}"]').get_by_test_id("warning")).to_be_visible()
    ui.reload()
    expect(ui.locator("h1")).to_have_text("Compare 3 runs")
    heads = ui.get_by_test_id("compare-table").locator("thead th[data-run-id]")
    expect(heads).to_have_count(3)
    assert heads.evaluate_all("els => els.map(e => e.dataset.runId)") == [best, close, mid]
    expect(ui.get_by_label("warning threshold")).to_have_value("10")
    ARTIFACTS.mkdir(exist_ok=True)
    shot(ui, "compare_page")

    # archive the others: gone from the Runs page, back in the archived view
    ui.get_by_role("button", name="Archive the others (2)").click()
    expect(ui.get_by_test_id("compare-notice")).to_have_text(
        "Archived 2 runs: qwen-close, qwen-mid"
    )
    wait_until(lambda: server.api("/runs").json()["total"] == 1, what="2 runs archived")
    ui.get_by_role("link", name="← Runs").click()
    expect(ui.locator(f'tr[data-run-id="{best}"]')).to_be_visible()
    expect(ui.locator(f'tr[data-run-id="{mid}"]')).to_have_count(0)
    expect(ui.locator(f'tr[data-run-id="{close}"]')).to_have_count(0)
    ui.get_by_label("show archived").check()
    expect(ui.locator(f'tr[data-run-id="{mid}"]')).to_be_visible()
    expect(ui.locator(f'tr[data-run-id="{close}"] .chip', has_text="archived")).to_be_visible()


def test_compare_unknown_run_says_which(server: Server, chromium: Browser) -> None:
    # Not the `ui` page: the browser itself logs the API's 404 as a console error, and that
    # 404 is what this test is about.
    run = _run("only", [1.0, 0.9, 0.8], 1e-4)
    context = chromium.new_context(viewport={"width": 1400, "height": 700})
    try:
        pg = context.new_page()
        pg.goto(f"{server.url}/compare?runs={run},nope")
        expect(pg.get_by_role("alert")).to_have_text("no run with id 'nope'")
        shot(pg, "compare_unknown_run")
    finally:
        context.close()


def test_compare_page_with_50_runs(server: Server, ui: Page) -> None:
    """50 runs stay usable: one column each in a scrolling table, each chart one request for
    all runs (not 50), the curve nearest the cursor named above the chart."""
    ids = []
    for i in range(50):
        # eval/loss every 10 steps, best at step 20; run-i is i % 7 * 2 % worse than run-0
        run = trainboard.init(project="sweep", name=f"run-{i}", model=QWEN, total_steps=30,
                              config={"lr": 1e-5 * (i + 1), "num_epochs": 3})  # fmt: skip
        for s in range(1, 31):
            metrics = {"train/loss": 3.0 - s / 20 + i / 100, "tokens": 512.0 * s}
            if s % 10 == 0:
                base = [1.3, 1.0, 1.1][s // 10 - 1]
                metrics |= {"eval/loss": base * (1 + (i % 7) * 0.02 + i * 1e-4), "epoch": s / 10}
            run.log(metrics, step=s)
        run.finish()
        ids.append(run.id)
    wait_until(lambda: server.api("/runs").json()["total"] == 50, what="50 runs stored")
    requests: list[str] = []
    ui.on("request", lambda r: requests.append(r.url) if "/api/v1/" in r.url else None)
    ui.goto(f"{server.url}/compare?runs={','.join(ids)}")

    expect(ui.locator("h1")).to_have_text("Compare 50 runs")
    table = ui.get_by_test_id("compare-table")
    expect(table.locator("thead th[data-run-id]")).to_have_count(50)
    expect(table.locator('tr[data-row="best_value"] td')).to_have_count(50)
    expect(table.locator(f'th[data-run-id="{ids[0]}"]').get_by_test_id("trophy")).to_be_visible()
    # the table scrolls sideways inside its card; the page itself does not
    wrap = ui.locator(".table-wrap").first
    assert wrap.evaluate("e => e.scrollWidth > e.clientWidth")
    assert ui.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    cards = ui.get_by_test_id("compare-chart-card")
    expect(cards).to_have_count(2)  # eval/loss and train/loss
    expect(cards.first.locator(".compare-chart canvas")).to_be_visible()
    expect(cards.nth(1).locator(".compare-chart canvas")).to_be_visible()
    # fetched once: the loads waited for the live stream, whose first open catches nothing up
    expect(ui.locator("html")).to_have_attribute("data-live", "1")
    # On a loaded machine the stream may open after the page's 2 s wait: the page then fetched
    # without listening, and the first open catches it up once (html[data-live-late]).
    late = ui.locator("html").get_attribute("data-live-late") == "1"
    loads = 2 if late else 1
    series = [u for u in requests if "/compare/series?" in u]
    assert len(series) == 2 * loads, series
    assert len([u for u in requests if "/api/v1/compare?" in u]) == loads, requests
    assert not [u for u in requests if "/series?" in u and "/runs/" in u], requests
    # no 50-row legend under each chart: the nearest curve is named on hover instead
    expect(cards.first.locator(".u-legend")).to_have_count(0)
    canvas = cards.first.locator(".compare-chart .u-over")
    box = canvas.bounding_box()
    assert box is not None
    readout = cards.first.get_by_test_id("compare-readout")
    # sweep down the middle of the chart until the cursor is near a curve
    for frac in [i / 40 for i in range(2, 39)]:
        ui.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * frac)
        if readout.inner_text().strip():
            break
    expect(readout).to_contain_text("run-")
    expect(readout).to_contain_text(" at ")
    assert len([u for u in requests if "/compare/series?" in u]) == 2 * loads, (
        "a chart fetched again"
    )
    ARTIFACTS.mkdir(exist_ok=True)
    shot(ui, "compare_page_50_runs")


def test_trend_chart_has_axes(server: Server, ui: Page) -> None:
    """The improvement trend names its metric, labels its range and its first and last run."""
    a = _run("qwen-a", [1.3, 1.0, 1.1], 3e-5)
    b = _run("qwen-b", [1.5, 1.4, 1.352], 1e-4)
    c = _run("qwen-c", [1.4, 1.2, 1.25], 3e-4)
    wait_until(lambda: server.api("/runs").json()["total"] == 3, what="3 runs stored")
    ui.goto(f"{server.url}/compare?runs={a},{b},{c}")
    trend = ui.get_by_test_id("trend")
    expect(trend.locator(".trend-axis-title")).to_have_text("eval/loss (best of each run)")
    expect(trend.locator(".trend-y-tick")).to_have_text(["1.352", "1"])
    labels = trend.locator(".trend-x-label")
    expect(labels.first).to_contain_text("qwen-a")  # the oldest run on the left
    expect(labels.last).to_contain_text("qwen-c")  # the newest on the right
    expect(trend.locator("circle")).to_have_count(3)
    ARTIFACTS.mkdir(exist_ok=True)
    trend.screenshot(path=str(ARTIFACTS / "compare-trend-axes.png"))


def test_compare_speed_rows_show_each_ranks_gpu_use_and_memory(server: Server, ui: Page) -> None:
    """Compare reads GPU use and memory by the progress card's rule: the ranks' own keys."""
    gpu = _run("qwen-gpu", [1.3, 1.0, 1.1], 3e-5)
    other = _run("qwen-cpu", [1.5, 1.4, 1.352], 1e-4)
    run = trainboard.init(project="sft", resume=gpu)
    run.log({"sys/rank0/gpu/util": 70.0, "sys/rank0/gpu/mem_used_gb": 12.5}, step=30)
    run.log({"sys/rank1/gpu/util": 90.0, "sys/rank1/gpu/mem_used_gb": 20.0}, step=30)
    run.finish()
    wait_until(lambda: server.api("/runs").json()["total"] == 2, what="2 runs stored")
    ui.goto(f"{server.url}/compare?runs={gpu},{other}")
    table = ui.get_by_test_id("compare-table")
    util = table.locator('tr[data-row="gpu_util"]')
    expect(util.locator(f'td[data-run-id="{gpu}"]')).to_have_text("80.0%")
    mem = table.locator('tr[data-row="gpu_mem_gb"]')
    expect(mem).to_contain_text("GPU memory (peak)")
    expect(mem.locator(f'td[data-run-id="{gpu}"]')).to_have_text("20.0 GB")
    expect(mem.locator(f'td[data-run-id="{other}"]')).to_have_text("—")
