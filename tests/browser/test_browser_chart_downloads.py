"""Every chart downloads as PNG and SVG (Run and Compare pages), and the Run page's
loss-vs-accuracy scatter: runs logged by the real SDK, clicked in the real Chromium."""

from __future__ import annotations

import struct
import xml.etree.ElementTree as ET
from pathlib import Path

from browser_support import Server, shot, wait_until
from playwright.sync_api import Locator, Page, expect

import trainboard

SVG = "{http://www.w3.org/2000/svg}"


def _log(name: str, shift: float) -> str:
    run = trainboard.init(project="p", name=name, total_steps=100)
    for s in range(1, 101):
        run.log({"train/loss": 3.0 / s + shift, "lr": 1e-3}, step=s)
        if s % 10 == 0:
            run.log({"eval/loss": 3.2 / s + shift, "eval/accuracy": 0.5 + s / 400}, step=s)
    run.finish()
    return run.id


def _download(ui: Page, card: Locator, ext: str, tmp_path: Path) -> Path:
    with ui.expect_download() as dl:
        card.locator("button.chart-dl-btn", has_text=ext.upper()).first.click()
    path = tmp_path / dl.value.suggested_filename
    dl.value.save_as(path)
    return path


def _check_png(path: Path) -> None:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", path
    width, height = struct.unpack(">II", data[16:24])
    assert width > 300 and height > 200 and len(data) > 5_000


def _check_svg(path: Path, title: str, series: int) -> ET.Element:
    root = ET.fromstring(path.read_text())
    assert root.tag == f"{SVG}svg"
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert texts[0] == title and len(texts) > 6  # title, tick labels, legend
    paths = [p for p in root.iter(f"{SVG}path") if p.get("data-series")]
    assert len(paths) >= series
    for p in paths:
        assert p.get("d", "").count("L") >= 5, p.get("data-series")
    return root


def test_run_page_charts_download_and_scatter(server: Server, ui: Page, tmp_path: Path) -> None:
    run_id = _log("dl", 0.0)
    wait_until(lambda: server.api(f"/runs/{run_id}").json()["run"]["status"] == "finished",
               what="the run to finish in the store")  # fmt: skip
    ui.goto(f"{server.url}/runs/{run_id}")
    card = ui.locator(".card.chart").filter(has=ui.locator("canvas")).first
    expect(card.locator("canvas").first).to_be_visible()
    png = _download(ui, card, "png", tmp_path)
    assert png.suffix == ".png"
    _check_png(png)
    svg = _download(ui, card, "svg", tmp_path)
    assert svg.suffix == ".svg"
    root = _check_svg(svg, _first_text(svg), 1)
    assert root.get("width")

    scatter = ui.locator('[data-scatter="loss-vs-accuracy"]')
    expect(scatter.locator(".chart-title")).to_contain_text("eval/accuracy vs eval/loss")
    expect(scatter.locator(".uplot-host")).to_have_attribute("data-points", "10")
    expect(scatter.locator("canvas").first).to_be_visible()
    _check_svg(_download(ui, scatter, "svg", tmp_path), "eval/accuracy vs eval/loss", 0)
    shot(ui, "run-page-scatter")


def _first_text(path: Path) -> str:
    root = ET.fromstring(path.read_text())
    first = next(root.iter(f"{SVG}text")).text
    assert first
    return first


def test_compare_charts_download(server: Server, ui: Page, tmp_path: Path) -> None:
    a, b = _log("a", 0.0), _log("b", 0.2)
    wait_until(lambda: all(server.api(f"/runs/{r}").json()["run"]["status"] == "finished"
                           for r in (a, b)), what="both runs to finish")  # fmt: skip
    ui.goto(f"{server.url}/compare?runs={a},{b}")
    card = ui.get_by_test_id("compare-chart-card").first
    expect(card.locator(".compare-chart canvas").first).to_be_visible()
    _check_png(_download(ui, card, "png", tmp_path))
    svg = _download(ui, card, "svg", tmp_path)
    root = _check_svg(svg, _first_text(svg), 2)
    labels = {p.get("data-series") for p in root.iter(f"{SVG}path") if p.get("data-series")}
    assert {"a", "b"} <= labels  # a line per run, named by the run
