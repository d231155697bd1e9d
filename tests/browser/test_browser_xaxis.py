"""Any metric that never decreases can be the x axis of the Run and Compare pages (#18): a
nanoGPT-shaped run logs every 20 iterations with `iter` in the dict and no step of its own,
and its curves can be drawn against `iter` or `epoch`; the choice lives in the URL."""

from __future__ import annotations

from browser_support import Server, shot, wait_until
from playwright.sync_api import Page, expect

import trainboard


def _nanogpt(name: str, offset: float) -> str:
    """Like karpathy/nanoGPT's train.py with wandb_log: log() every eval_interval iterations,
    no step= (so trainboard's step counts calls), `iter` and an epoch in the dict."""
    with trainboard.init(project="nanogpt", name=name, config={"max_iters": 200}) as run:
        for it in range(0, 201, 20):
            run.log({"iter": it, "epoch": it / 80, "train/loss": 4.0 - it / 100 + offset,
                     "val/loss": 4.1 - it / 110 + offset})  # fmt: skip
        return run.id


def test_iter_and_epoch_as_the_x_axis(server: Server, ui: Page) -> None:
    a, b = _nanogpt("shakespeare-char", 0.0), _nanogpt("shakespeare-char-2", 0.2)
    wait_until(lambda: server.api("/runs").json()["total"] == 2, what="2 runs stored")

    ui.goto(f"{server.url}/runs/{a}")
    expect(ui.locator(".chart canvas").first).to_be_visible()
    pick = ui.get_by_label("x axis metric")
    expect(pick.locator("option")).to_have_text(["x: a metric…", "x: epoch", "x: iter"])
    with ui.expect_response(lambda r: "/series" in r.url and "x=iter" in r.url) as got:
        pick.select_option("iter")
    body = got.value.json()
    assert body["x"] == "iter"
    assert body["series"]["train/loss"]["x"] == [float(i) for i in range(0, 201, 20)]
    expect(ui).to_have_url(f"{server.url}/runs/{a}?x=iter")
    # the legend names the axis; the chart drew (no error in the card)
    expect(ui.locator(".u-legend").first).to_contain_text("iter")
    expect(ui.locator(".chart .error")).to_have_count(0)
    shot(ui, "xaxis_run_iter")

    with ui.expect_response(lambda r: "/compare/series" in r.url and "x=epoch" in r.url) as cmp_got:
        ui.goto(f"{server.url}/compare?runs={a},{b}&x=epoch")
    cmp = cmp_got.value.json()
    assert cmp["series"][a]["x"][-1] == 2.5 and cmp["series"][b]["x"][-1] == 2.5
    expect(ui.get_by_label("x axis metric")).to_have_value("epoch")
    expect(ui.locator(".compare-chart canvas").first).to_be_visible()
    expect(ui.locator(".u-legend").first).to_contain_text("epoch")
    shot(ui, "xaxis_compare_epoch")


def test_any_metric_that_never_decreases_is_offered(server: Server, ui: Page) -> None:
    """nanoGPT's own counter `iter_num` and a metric no name marks as a counter (`images_seen`)
    are offered; the learning rate, which warms up and then decays, is not (#18)."""
    with trainboard.init(project="nanogpt", name="iter-num") as run:
        for i, it in enumerate(range(0, 201, 20)):
            lr = 6e-4 * min(1.0, (i + 1) / 4) * (1 - it / 400)  # warmup, then decay
            run.log({"iter_num": it, "images_seen": 64 * it, "lr": lr,
                     "train/loss": 4.0 - it / 100})  # fmt: skip
        rid = run.id
    wait_until(lambda: server.api("/runs").json()["total"] == 1, what="the run stored")
    assert server.api(f"/runs/{rid}").json()["x_keys"] == ["images_seen", "iter_num"]

    ui.goto(f"{server.url}/runs/{rid}")
    pick = ui.get_by_label("x axis metric")
    expect(pick.locator("option")).to_have_text(["x: a metric…", "x: images_seen", "x: iter_num"])
    with ui.expect_response(lambda r: "/series" in r.url and "x=iter_num" in r.url) as got:
        pick.select_option("iter_num")
    assert got.value.json()["series"]["train/loss"]["x"][-1] == 200.0
    shot(ui, "xaxis_run_iter_num")
