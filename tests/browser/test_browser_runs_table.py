"""The Runs page as a table: a header click sorts server-side (and lands in the URL), an added
hyperparameter column shows each run's value, typed filters apply without Enter, and a running
run that leads its model is "best so far", not "best"."""

from __future__ import annotations

import re

from browser_support import Server, wait_until
from playwright.sync_api import Page, expect

import trainboard


def _run(name: str, lr: float, evals: list[float], finish: bool = True) -> str:
    run = trainboard.init(project="hp", name=name, model="m", config={"lr": lr}, total_steps=10)
    for i, v in enumerate(evals, start=1):
        run.log({"eval/loss": v, "train/loss": v + 0.1}, step=i)
    if finish:
        run.finish()
    return run.id


def test_sort_columns_and_typed_filters(server: Server, ui: Page) -> None:
    a = _run("alpha", 3e-4, [2.0, 1.5])
    b = _run("bravo", 1e-5, [1.2, 1.1])
    c = _run("charlie", 1e-3, [0.9, 0.8], finish=False)  # the model's leader, still running
    wait_until(lambda: server.api("/runs").json()["total"] == 3, what="3 runs stored")
    ui.goto(f"{server.url}/?group=0")
    rows = ui.locator("tr[data-run-id]")
    expect(rows).to_have_count(3)
    expect(ui.locator(f'tr[data-run-id="{c}"] [data-testid="group-best"]')).to_have_text(
        "best so far"
    )

    def order() -> list[str]:
        return rows.evaluate_all("rs => rs.map(r => r.dataset.runId)")

    ui.locator('th[data-column="name"] button.sort').click()
    wait_until(lambda: order() == [a, b, c], what="sorted by name, A to Z")
    assert "sort=name" in ui.url
    ui.locator('th[data-column="name"] button.sort').click()
    wait_until(lambda: order() == [c, b, a], what="sorted by name, Z to A")

    ui.get_by_label("add a column").click()
    expect(ui.locator('select[aria-label="add a column"] option[value="config.lr"]')).to_have_count(
        1
    )
    ui.get_by_label("add a column").select_option("config.lr")
    expect(ui.locator(f'tr[data-run-id="{b}"] td[data-column="config.lr"]')).to_have_text("1e-5")
    ui.locator('th[data-column="config.lr"] button.sort').click()
    wait_until(lambda: order() == [c, a, b], what="sorted by lr, highest first")
    ui.reload()
    wait_until(lambda: order() == [c, a, b], what="the same order after a reload")
    expect(ui.locator('th[data-column="config.lr"]')).to_have_attribute("aria-sort", "descending")

    # a typed project filter applies without Enter
    ui.get_by_label("project").press_sequentially("nomatch")
    ui.wait_for_url(re.compile(r"project=nomatch"))
    expect(rows).to_have_count(0)
