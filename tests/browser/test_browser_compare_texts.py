"""Compare shows the compared runs' text samples side by side at the same step."""

from __future__ import annotations

from browser_support import Server, wait_until
from playwright.sync_api import Page, expect

import trainboard


def _run(name: str, steps: list[int]) -> str:
    run = trainboard.init(project="p", name=name, total_steps=30)
    for s in range(1, 31):
        run.log({"train/loss": 1.0 / s}, step=s)
        if s in steps:
            run.log_text("samples", f"<b>{name}</b> says {s}", step=s)
    run.finish()
    return run.id


def test_texts_side_by_side_at_one_step(server: Server, ui: Page) -> None:
    a = _run("alpha", [10, 20])
    b = _run("beta", [10, 20, 30])
    wait_until(lambda: all(server.api(f"/runs/{r}").json()["run"]["status"] == "finished"
                           for r in (a, b)), what="both runs to finish")  # fmt: skip
    ui.goto(f"{server.url}/compare?runs={a},{b}")
    card = ui.get_by_test_id("compare-texts")
    expect(card).to_be_visible()
    step = card.get_by_label("text step")
    expect(step).to_have_value("20")  # the newest step both runs have a sample at
    expect(card.locator(f'[data-text-run="{a}"] .text-body')).to_have_text("<b>alpha</b> says 20")
    expect(card.locator(f'[data-text-run="{b}"] .text-body')).to_have_text("<b>beta</b> says 20")
    step.select_option("30")
    expect(card.locator(f'[data-text-run="{a}"]')).to_contain_text("no sample at step 30")
    expect(card.locator(f'[data-text-run="{b}"] .text-body')).to_have_text("<b>beta</b> says 30")
    expect(card.locator("b")).to_have_count(0)  # sample text is text, never HTML
