"""A run keeps one colour everywhere, derived from its id (the same as figures and reports get
from trainboard.analysis.colors), and its name is clipped with a tooltip and bidi-isolated."""

from __future__ import annotations

from pathlib import Path

from browser_support import Server, wait_until
from playwright.sync_api import Page, expect
from test_browser_layout import LONG, RTL, _seed

from trainboard.analysis.colors import run_color


def _rgb(hex_colour: str) -> str:
    n = int(hex_colour[1:], 16)
    return f"rgb({n >> 16}, {(n >> 8) & 255}, {n & 255})"


def test_one_colour_per_run_on_every_page(server: Server, ui: Page, tmp_path: Path) -> None:
    ids = _seed(tmp_path)
    wait_until(lambda: server.api("/runs").json()["total"] == 3, what="3 runs stored")

    def swatch(scope: str) -> str:
        return str(ui.locator(scope).first.evaluate("e => getComputedStyle(e).backgroundColor"))

    ui.goto(f"{server.url}/")
    for rid in ids:
        expect(ui.locator(f'tr[data-run-id="{rid}"] .swatch')).to_be_visible()
        assert swatch(f'tr[data-run-id="{rid}"] .swatch') == _rgb(run_color(rid))
    # the long name is clipped, its whole text in the tooltip; the RTL one isolated
    long_name = ui.locator("bdi.name-clip", has_text=LONG[:20])
    expect(long_name).to_have_attribute("title", LONG)
    assert long_name.evaluate("e => e.scrollWidth > e.clientWidth"), "the long name is not clipped"
    rtl = ui.locator("bdi.name-clip", has_text="run").filter(has_text="lrt")
    expect(rtl).to_have_attribute("title", RTL)
    assert rtl.evaluate("e => getComputedStyle(e).unicodeBidi") == "isolate"

    ui.goto(f"{server.url}/compare?runs={','.join(reversed(ids))}")
    expect(ui.get_by_test_id("compare-table")).to_be_visible()
    for rid in ids:
        assert swatch(f'th[data-run-id="{rid}"] .swatch') == _rgb(run_color(rid))

    ui.goto(f"{server.url}/runs/{ids[1]}")
    expect(ui.get_by_test_id("run-name")).to_have_text(RTL)
    assert swatch("h1 .swatch") == _rgb(run_color(ids[1]))
