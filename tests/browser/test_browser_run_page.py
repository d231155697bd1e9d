"""The Run page as a person sees it, with runs logged by the real SDK into the served store."""

from __future__ import annotations

import math
from pathlib import Path

import httpx
from browser_support import Server, shot, wait_until
from playwright.sync_api import Page, expect

import trainboard


def _loss(step: int) -> float:
    return 2.5 * math.exp(-step / 80) + 0.3 + 0.01 * math.sin(step)


def _log_steps(run: trainboard.Run, start: int, stop: int) -> None:
    for s in range(start, stop + 1):
        run.log(
            {
                "train/loss": _loss(s),
                "lr": 3e-4 * min(1.0, s / 10),
                "grad_norm": 0.4 + 0.1 * math.cos(s),
                "tokens": s * 4096,
            },
            step=s,
        )
        if s % 10 == 0:
            run.log({"eval/loss": _loss(s) + 0.1, "eval/accuracy": 0.5 + s / 1000}, step=s)


def _wait_for_step(server: Server, run_id: str, step: int) -> None:
    def reached() -> bool:
        r = server.api(f"/runs/{run_id}")
        return r.status_code == 200 and r.json()["run"]["last_step"] == step

    wait_until(reached, what=f"run {run_id} to reach step {step} in the store")


def _open_run(ui: Page, server: Server, run_id: str) -> None:
    ui.goto(f"{server.url}/runs/{run_id}")
    expect(ui.get_by_test_id("run-name")).to_be_visible()


def test_progress_card_shows_the_logged_run(server: Server, ui: Page) -> None:
    run = trainboard.init(project="p", name="card", model="tiny", total_steps=200)
    _log_steps(run, 1, 50)
    _wait_for_step(server, run.id, 50)
    progress = server.api(f"/runs/{run.id}").json()["run"]["progress"]
    _open_run(ui, server, run.id)

    expect(ui.get_by_test_id("steps")).to_have_text("step 50 / 200")
    expect(ui.locator(".progress-card .pbar-text")).to_have_text("25.0%")
    expect(ui.get_by_test_id("loss")).to_have_text(f"{_loss(50):.4f}")
    expect(ui.get_by_test_id("tokens")).to_contain_text("204,800")
    expect(ui.get_by_test_id("tokens")).to_contain_text(progress["tokens_text"])
    expect(ui.get_by_test_id("elapsed")).not_to_have_text("—")
    expect(ui.get_by_test_id("grad-norm")).to_have_text(f"{0.4 + 0.1 * math.cos(50):.4f}")
    expect(ui.locator(".progress-card .status")).to_have_text("running")
    run.finish()
    expect(ui.locator(".progress-card .status")).to_have_text("finished", timeout=20_000)
    expect(ui.get_by_test_id("eta")).to_have_text("0s")
    done = server.api(f"/runs/{run.id}").json()["run"]["progress"]
    expect(ui.get_by_test_id("elapsed")).to_have_text(done["elapsed_text"])
    expect(ui.locator(".progress-card .pbar-text")).to_have_text(f"{done['percent']:.1f}%")


def test_step_advances_without_a_reload(server: Server, ui: Page) -> None:
    run = trainboard.init(project="p", name="live", model="tiny", total_steps=100)
    _log_steps(run, 1, 10)
    _wait_for_step(server, run.id, 10)
    _open_run(ui, server, run.id)
    expect(ui.get_by_test_id("steps")).to_have_text("step 10 / 100")
    ui.evaluate("window.__sameDocument = true")
    points_before = ui.evaluate(
        "() => document.querySelector('[data-chart=\"loss\"] .u-legend') !== null"
    )
    assert points_before

    for target in (11, 25, 40):
        _log_steps(run, target, target)  # one log() call per step, as a training loop does
        expect(ui.get_by_test_id("steps")).to_have_text(f"step {target} / 100", timeout=20_000)
    assert ui.evaluate("window.__sameDocument") is True, "the page reloaded"
    # Every chart took the new points: hovering a chart's right edge reads the last step.
    for chart in ("loss", "lr", "grad_norm", "tokens"):
        assert _x_at_right_edge(ui, chart) == "40", f"chart {chart} did not take the new points"
    run.log_text("samples", "first live sample", step=40)
    run.log({"train/loss": _loss(41)}, step=41)
    expect(ui.get_by_text("first live sample")).to_be_visible(timeout=20_000)
    run.log_text("samples", "second live sample", step=41)
    run.log({"train/loss": _loss(42)}, step=42)
    expect(ui.get_by_text("second live sample")).to_be_visible(timeout=20_000)
    expect(ui.locator('[data-text-key="samples"] li')).to_have_count(2)
    shot(ui, "run_page_live")
    run.finish()


def _x_at_right_edge(ui: Page, chart: str) -> str:
    """The x value the legend shows with the cursor at the chart's right edge."""
    over = ui.locator(f'[data-chart="{chart}"] .u-over')
    box = over.bounding_box()
    if box is None:  # the chart is being rebuilt (x axis changed)
        return ""
    ui.mouse.move(box["x"] + box["width"] - 1, box["y"] + box["height"] / 2)
    value = ui.locator(f'[data-chart="{chart}"] .u-legend .u-series').first.locator(".u-value")
    return value.inner_text().strip()


def _drawn_pixels(ui: Page, chart: str) -> int:
    """Non-transparent pixels on a chart's canvas (uPlot draws on a transparent canvas)."""
    return int(
        ui.evaluate(
            """(name) => {
                const cv = document.querySelector(`[data-chart="${name}"] canvas`);
                if (!cv) return -1;
                const d = cv.getContext('2d').getImageData(0, 0, cv.width, cv.height).data;
                let n = 0;
                for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
                return n;
            }""",
            chart,
        )
    )


def test_charts_draw_and_group_train_with_eval_loss(server: Server, ui: Page) -> None:
    run = trainboard.init(project="p", name="charts", model="tiny", total_steps=100)
    _log_steps(run, 1, 100)
    run.finish()
    _wait_for_step(server, run.id, 100)
    _open_run(ui, server, run.id)
    loss = ui.locator('[data-chart="loss"]')
    expect(loss).to_be_visible()
    expect(loss.locator(".u-legend")).to_contain_text("train/loss")
    expect(loss.locator(".u-legend")).to_contain_text("eval/loss")
    wait_until(lambda: _drawn_pixels(ui, "loss") > 500, what="the loss chart to draw")
    for name in ("lr", "grad_norm", "accuracy", "tokens"):
        expect(ui.locator(f'[data-chart="{name}"]')).to_be_visible()
        assert _drawn_pixels(ui, name) > 100, f"chart {name} drew nothing"
    ui.get_by_role("button", name="tokens").click()  # x by cumulative tokens: 100 * 4096
    wait_until(lambda: _x_at_right_edge(ui, "loss") == "409.6k", what="the loss chart on tokens")
    assert _x_at_right_edge(ui, "lr") == "409.6k"
    csv = loss.get_by_role("link", name="CSV train/loss")
    assert csv.get_attribute("href") == f"/api/v1/runs/{run.id}/series.csv?key=train%2Floss"


def test_filter_by_name_hides_charts(server: Server, ui: Page) -> None:
    run = trainboard.init(project="p", name="filter", model="tiny", total_steps=30)
    _log_steps(run, 1, 30)
    run.finish()
    _wait_for_step(server, run.id, 30)
    _open_run(ui, server, run.id)
    expect(ui.locator("[data-chart]")).to_have_count(5)  # loss, lr, grad_norm, accuracy, tokens
    ui.get_by_label("filter charts").fill("grad")
    expect(ui.locator("[data-chart]")).to_have_count(1)
    expect(ui.locator('[data-chart="grad_norm"]')).to_be_visible()
    ui.get_by_label("filter charts").fill("nothing-like-this")
    expect(ui.locator("[data-chart]")).to_have_count(0)
    expect(ui.get_by_text("No chart matches")).to_be_visible()
    ui.get_by_label("filter charts").fill("")
    expect(ui.locator("[data-chart]")).to_have_count(5)


HOSTILE = "<img src=x onerror=window.__pwned=1>"


def test_user_text_is_shown_as_text_never_html(server: Server, ui: Page) -> None:
    run = trainboard.init(
        project="p",
        name=HOSTILE,
        model="<b>model</b>",
        config={"note": HOSTILE},
        tags=["<script>window.__pwned=2</script>"],
        total_steps=10,
    )
    run.log({"train/loss": 1.0}, step=1)
    run.log_text("samples", f"generated: {HOSTILE}", step=1)
    run.finish()
    _wait_for_step(server, run.id, 1)

    ui.goto(server.url + "/")
    expect(ui.get_by_role("link", name=HOSTILE)).to_be_visible()
    expect(ui.get_by_text("<b>model</b>")).to_be_visible()
    ui.get_by_role("link", name=HOSTILE).click()
    expect(ui.get_by_test_id("run-name")).to_have_text(HOSTILE)
    expect(ui.get_by_text(f"generated: {HOSTILE}")).to_be_visible()
    expect(ui.locator("table.kv td", has_text=HOSTILE)).to_be_visible()
    expect(ui.get_by_text("<script>window.__pwned=2</script>")).to_be_visible()
    assert ui.locator("img[src=x]").count() == 0
    assert ui.evaluate("typeof window.__pwned") == "undefined"


def test_texts_histograms_and_artifacts(server: Server, ui: Page, tmp_path: Path) -> None:
    ckpt = tmp_path / "step_20.pt"
    ckpt.write_bytes(b"checkpoint-bytes")
    run = trainboard.init(project="p", name="extras", model="tiny", total_steps=20)
    for s in (10, 20):
        run.log({"train/loss": 1.0 / s}, step=s)
        run.log_text("samples", f"sample at {s}\nsecond line", step=s)
        values = [((i * 37) % 101) / 50 - 1 + s / 100 for i in range(500)]
        run.log_histogram("weights/layer0", values, step=s)
    run.log_artifact(str(ckpt), kind="checkpoint", step=20)
    run.finish()
    _wait_for_step(server, run.id, 20)
    _open_run(ui, server, run.id)

    samples = ui.locator('[data-text-key="samples"] li')
    expect(samples).to_have_count(2)
    expect(samples.first).to_contain_text("step 20")
    expect(samples.first.locator("pre")).to_have_text("sample at 20\nsecond line")
    strip = ui.locator('canvas[data-hist-key="weights/layer0"]')
    expect(strip).to_be_visible()
    drawn = ui.evaluate(
        """() => {
            const cv = document.querySelector('canvas[data-hist-key="weights/layer0"]');
            const d = cv.getContext('2d').getImageData(0, 0, cv.width, cv.height).data;
            let n = 0;
            for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
            return n;
        }"""
    )
    assert drawn > 500, "the histogram strip drew nothing"
    expect(ui.locator(".hist-head")).to_contain_text("step 20")
    ui.get_by_label("step of weights/layer0").fill("0")
    expect(ui.locator(".hist-head")).to_contain_text("step 10")

    link = ui.get_by_role("link", name="step_20.pt")
    expect(link).to_be_visible()
    href = link.get_attribute("href")
    assert href is not None
    assert httpx.get(server.url + href, timeout=10).content == b"checkpoint-bytes"


def test_non_finite_points_are_marked_not_only_gaps(server: Server, ui: Page) -> None:
    """A NaN or an infinite loss is a gap in the line and a red triangle on the chart's top
    edge at its x, named under the chart ("NaN at step 40"), so a diverging run cannot hide
    its NaNs as a blank stretch (#22)."""
    with trainboard.init(project="p", name="nan-run") as run:
        for s in range(1, 101):
            bad = {40: float("nan"), 70: float("inf")}.get(s)
            run.log({"train/loss": _loss(s) if bad is None else bad}, step=s)
        rid = run.id
    wait_until(lambda: server.api(f"/runs/{rid}").status_code == 200, what="the run stored")
    ui.goto(f"{server.url}/runs/{rid}")
    chart = ui.locator('[data-chart="loss"]')
    note = chart.locator(".nonfinite")
    expect(note).to_have_text("▼ NaN at step 40 (train/loss), inf at step 70 (train/loss)")
    # the triangle: the chart's canvas has the marker's red near the top edge at step 40
    red = ui.evaluate(
        """() => {
          const c = document.querySelector('[data-chart="loss"] canvas');
          const ctx = c.getContext('2d');
          const px = ctx.getImageData(0, 0, c.width, 40).data;
          let n = 0;
          for (let i = 0; i < px.length; i += 4)
            if (px[i] === 0xc5 && px[i + 1] === 0x22 && px[i + 2] === 0x1f) n++;
          return n;
        }"""
    )
    assert red > 10, "no red marker on the chart's top edge"
    shot(ui, "run_page_nan_marked")
