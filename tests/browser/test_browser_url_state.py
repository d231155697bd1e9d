"""Every view setting lives in the URL and survives a reload: on the Run page the x axis,
smoothing, moving average, log scale, chart filter and zoom; on Compare the charts shown, the x
axis and smoothing."""

from __future__ import annotations

import re
from pathlib import Path

from browser_support import Server
from playwright.sync_api import Page, expect
from test_browser_layout import _seed


def test_run_page_view_survives_a_reload(server: Server, ui: Page, tmp_path: Path) -> None:
    ids = _seed(tmp_path)
    ui.goto(f"{server.url}/runs/{ids[0]}")
    expect(ui.locator(".chart canvas").first).to_be_visible()
    ui.get_by_role("button", name="tokens").click()
    ui.get_by_label("smoothing").fill("0.6")
    ui.get_by_label("moving average").select_option("10")
    ui.get_by_label("log scale").check()
    ui.get_by_label("filter charts").fill("loss")
    ui.wait_for_url(re.compile(r"filter=loss"))
    # drag a zoom on the loss chart: every chart takes the range, and so does the URL
    chart = ui.locator('[data-chart="loss"] .u-over')
    box = chart.bounding_box()
    assert box is not None
    ui.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] / 2)
    ui.mouse.down()
    ui.mouse.move(box["x"] + box["width"] * 0.6, box["y"] + box["height"] / 2, steps=5)
    ui.mouse.up()
    ui.wait_for_url(re.compile(r"zoom="))
    for part in ("x=tokens", "smooth=0.6", "ma=10", "log=1", "filter=loss"):
        assert part in ui.url, (part, ui.url)
    zoomed = ui.locator('[data-chart="loss"] .uplot-host').get_attribute("data-zoom")
    assert zoomed, "the chart did not zoom"

    ui.reload()
    expect(ui.get_by_label("filter charts")).to_have_value("loss")
    expect(ui.get_by_label("smoothing")).to_have_value("0.6")
    expect(ui.get_by_label("moving average")).to_have_value("10")
    expect(ui.get_by_label("log scale")).to_be_checked()
    expect(ui.get_by_role("button", name="tokens")).to_have_attribute("aria-pressed", "true")
    expect(ui.locator("[data-chart]")).to_have_count(1)  # only "loss" matches the filter
    expect(ui.locator('[data-chart="loss"] .uplot-host')).to_have_attribute("data-zoom", zoomed)
    ui.get_by_role("button", name="reset zoom").click()
    ui.wait_for_url(re.compile(r"^(?!.*zoom=)"))
    expect(ui.locator('[data-chart="loss"] .uplot-host')).to_have_attribute("data-zoom", "")


def test_compare_charts_survive_a_reload(server: Server, ui: Page, tmp_path: Path) -> None:
    ids = _seed(tmp_path)
    ui.goto(f"{server.url}/compare?runs={','.join(ids)}")
    expect(ui.get_by_test_id("compare-chart-card")).to_have_count(2)
    ui.get_by_label("add a chart").select_option("grad_norm")
    ui.get_by_role("button", name="remove chart train/loss").click()
    ui.get_by_role("button", name="hours").click()
    ui.get_by_label("smoothing").fill("0.5")
    ui.wait_for_url(re.compile(r"smooth=0\.5"))
    ui.reload()
    cards = ui.get_by_test_id("compare-chart-card")
    expect(cards).to_have_count(2)
    assert cards.evaluate_all("es => es.map(e => e.dataset.metric)") == ["eval/loss", "grad_norm"]
    expect(ui.get_by_label("smoothing")).to_have_value("0.5")
    assert "x=time" in ui.url
