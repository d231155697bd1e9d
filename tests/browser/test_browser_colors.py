"""Run colours come from trainboard.analysis.colors (the rule figures and reports use): the runs
of one page have distinct colours, each its id's first choice where it can be; a run's name is
clipped with a tooltip and bidi-isolated."""

from __future__ import annotations

from pathlib import Path

from browser_support import Server, wait_until
from playwright.sync_api import Page, expect
from test_browser_layout import LONG, RTL, _seed

import trainboard
from trainboard.analysis.colors import assign_colors, run_color


def _rgb(hex_colour: str) -> str:
    n = int(hex_colour[1:], 16)
    return f"rgb({n >> 16}, {(n >> 8) & 255}, {n & 255})"


def test_one_colour_per_run_on_every_page(server: Server, ui: Page, tmp_path: Path) -> None:
    ids = _seed(tmp_path)
    wait_until(lambda: server.api("/runs").json()["total"] == 3, what="3 runs stored")

    def swatch(scope: str) -> str:
        return str(ui.locator(scope).first.evaluate("e => getComputedStyle(e).backgroundColor"))

    shown = assign_colors(ids)
    ui.goto(f"{server.url}/")
    for rid in ids:
        expect(ui.locator(f'tr[data-run-id="{rid}"] .swatch')).to_be_visible()
        assert swatch(f'tr[data-run-id="{rid}"] .swatch') == _rgb(shown[rid])
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
        assert swatch(f'th[data-run-id="{rid}"] .swatch') == _rgb(shown[rid])

    ui.goto(f"{server.url}/runs/{ids[1]}")
    expect(ui.get_by_test_id("run-name")).to_have_text(RTL)
    assert swatch("h1 .swatch") == _rgb(run_color(ids[1]))


def test_twenty_compared_runs_have_twenty_colours(server: Server, ui: Page) -> None:
    """20 runs: with 20 colours some ids are bound to hash alike, yet the table's swatches and the
    chart's lines are 20 different colours, the ones Python's figures give the same runs."""
    ids = []
    for i in range(20):
        with trainboard.init(project="colours", name=f"run-{i:02d}") as run:
            for s in range(1, 6):
                run.log({"train/loss": 1.0 / s + i / 100, "eval/loss": 1.2 / s + i / 100}, step=s)
            ids.append(run.id)
    wait_until(lambda: server.api("/runs").json()["total"] == 20, what="20 runs stored")
    shown = assign_colors(ids)
    assert len(set(shown.values())) == 20
    assert any(shown[r] != run_color(r) for r in ids), "no id collided: the test proves nothing"

    ui.goto(f"{server.url}/compare?runs={','.join(ids)}")
    expect(ui.get_by_test_id("compare-table")).to_be_visible()
    got = {
        rid: str(
            ui.locator(f'th[data-run-id="{rid}"] .swatch').first.evaluate(
                "e => getComputedStyle(e).backgroundColor"
            )
        )
        for rid in ids
    }
    assert got == {rid: _rgb(c) for rid, c in shown.items()}
    # the speed bars draw the same colours
    bars = ui.get_by_test_id("speed-bars").locator(".bar-fill")
    expect(bars).to_have_count(20)
    fills = bars.evaluate_all("es => es.map(e => getComputedStyle(e).backgroundColor)")
    assert len(set(fills)) == 20
