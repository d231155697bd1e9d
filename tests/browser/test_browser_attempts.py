"""A run resumed from a checkpoint step on the Run page: the points the dead attempt logged
after the checkpoint are hidden, shown with the "superseded points" toggle, and each attempt
is on the run's events timeline."""

from __future__ import annotations

from browser_support import Server, shot, wait_until
from playwright.sync_api import Page, expect

import trainboard


def test_superseded_points_are_hidden_and_shown_on_request(server: Server, ui: Page) -> None:
    first = trainboard.init(project="p", name="preempted", total_steps=100)
    for s in range(60):
        first.log({"loss": 2.0 - s / 100}, step=s)
    first.finish("failed", notes="pre-empted")
    run = trainboard.init(resume=first.id, resume_from_step=40)
    for s in range(41, 51):
        run.log({"loss": 0.5 - s / 1000}, step=s)
    run.finish()

    def stored() -> bool:
        return server.api(f"/runs/{run.id}").json()["run"]["status"] == "finished"

    wait_until(stored, what="the resumed run to be finished in the store")
    got = server.api(f"/runs/{run.id}/series", keys="loss").json()
    assert got["series"]["loss"]["steps"] == list(range(51))
    gone = server.api(f"/runs/{run.id}/series", keys="loss", superseded="true")
    assert gone.json()["series"]["loss"]["steps"] == list(range(41, 60))

    ui.goto(f"{server.url}/runs/{run.id}")
    chart = ui.locator('[data-chart="loss"]')
    expect(chart.locator(".u-legend .u-series")).to_have_count(2)  # x and loss
    expect(chart).not_to_contain_text("superseded")
    timeline = ui.locator("table.alerts")
    expect(timeline).to_contain_text("attempt 2 resumed from step 40")
    expect(timeline).to_contain_text("steps 41-59 of the attempt before")
    toggle = ui.get_by_label("superseded points")
    expect(toggle).not_to_be_checked()
    toggle.check()
    expect(chart.locator(".u-legend")).to_contain_text("loss · superseded")
    expect(chart.locator(".u-legend .u-series")).to_have_count(3)
    assert "superseded=1" in ui.url
    shot(ui, "run-superseded-points")
    toggle.uncheck()
    expect(chart.locator(".u-legend .u-series")).to_have_count(2)
