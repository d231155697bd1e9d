"""Every page at a phone's width (390 px) and a laptop's (1440 px): nothing overflows the window
sideways (a wide table scrolls inside its own box), and a screenshot of each is left in
test-artifacts/layout_*.png for a person to look at."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest
from browser_support import ARTIFACTS, Server, wait_until
from playwright.sync_api import Browser, Page, expect

import trainboard

LONG = "qwen2.5-7b-instruct-sft-lr3e-5-bs32-warmup500-cosine-seed1234-very-long-run-name"
RTL = "\u202etxet-lrt\u202c run"  # an RTL override in a name must not bleed into the next label


def _seed(tmp_path: Path) -> list[str]:
    """Three finished runs of one model (one with a long name, one with an RTL override), with
    charts, texts, a histogram and a checkpoint artifact: every section of every page shows."""
    ids = []
    ckpt = tmp_path / "step_40.pt"
    ckpt.write_bytes(b"x" * 1000)
    for i, name in enumerate([LONG, RTL, "lr1e-4"]):
        run = trainboard.init(
            project="qwen-sft",
            name=name,
            model="Qwen/Qwen2.5-7B-Instruct",
            total_steps=40,
            tags=["sweep-1", "a-rather-long-tag-name"],
            config={"lr": 3e-5 * (i + 1), "batch_size": 32, "scheduler": "cosine-with-warmup"},
        )
        for s in range(1, 41):
            m = {
                "train/loss": 2.5 * math.exp(-s / 15) + 0.3 + 0.05 * i,
                "lr": 3e-5 * min(1.0, s / 5),
                "grad_norm": 0.4 + 0.1 * math.cos(s),
                "tokens": 25_000.0 * s,
            }
            if s % 10 == 0:
                m |= {"eval/loss": 2.0 * math.exp(-s / 20) + 0.4 + 0.1 * i, "epoch": s / 10}
            run.log(m, step=s)
        run.log_text("samples", "Once upon a time " * 20, step=40)
        run.log_histogram("weights/layer0", [math.sin(k) for k in range(200)], step=40)
        run.log_artifact(str(ckpt), kind="checkpoint", step=40)
        run.finish()
        ids.append(run.id)
    return ids


def _overflow(pg: Page, where: str) -> list[str]:
    """'WHERE: N px wide in a V px window' plus the widest culprits, or [] when it fits."""
    width = pg.evaluate("document.documentElement.scrollWidth")
    view = pg.evaluate("window.innerWidth")
    if width <= view:
        return []
    culprits = pg.evaluate(
        """() => [...document.querySelectorAll('main *')]
          .filter(e => e.scrollWidth > e.clientWidth + 1
                       && getComputedStyle(e).overflowX === 'visible')
          .slice(-4).map(e => `${e.tagName}.${e.className} ${e.scrollWidth}>${e.clientWidth}`)"""
    )
    return [f"{where}: the page is {width} px wide in a {view} px window ({culprits})"]


@pytest.mark.parametrize("size", [(390, 844), (1440, 900)], ids=["phone", "laptop"])
def test_every_page_fits_the_window(
    server: Server, chromium: Browser, tmp_path: Path, size: tuple[int, int]
) -> None:
    ids = _seed(tmp_path)
    wait_until(lambda: server.api("/runs").json()["total"] == 3, what="3 runs stored")
    ctx = chromium.new_context(viewport={"width": size[0], "height": size[1]})
    pg = ctx.new_page()
    errors: list[str] = []
    too_wide: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    tag = f"{size[0]}x{size[1]}"
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        pages = {
            "runs": "/",
            "runs_flat": "/?group=0",
            "run": f"/runs/{ids[0]}",
            "compare": f"/compare?runs={','.join(ids)}",
        }
        for name, path in pages.items():
            pg.goto(f"{server.url}{path}")
            if name.startswith("runs"):
                expect(pg.locator("tr[data-run-id]")).to_have_count(3)
            elif name == "run":
                expect(pg.locator(".progress-card")).to_be_visible()
                expect(pg.locator(".chart canvas").first).to_be_visible()
                expect(pg.locator(".text-key")).to_be_visible()
            else:
                expect(pg.get_by_test_id("compare-table")).to_be_visible()
                expect(pg.locator(".compare-chart canvas").first).to_be_visible()
            too_wide += _overflow(pg, f"{name} at {tag}")
            pg.screenshot(path=str(ARTIFACTS / f"layout_{name}_{tag}.png"), full_page=True)
    finally:
        ctx.close()
    assert not errors, errors
    assert not too_wide, "\n".join(too_wide)


UNBROKEN = "Qwen2.5_7B_Instruct_sft_lr3e5_bs32_warmup500_cosine_seed1234_a_very_long_run_name"


def test_phone_width_with_long_unbroken_names_histograms_and_a_sweep(
    server: Server, chromium: Browser, tmp_path: Path
) -> None:
    """What made pages wider than a phone (#18): a run name with no place to break it on
    Compare, histogram cards with long keys on the Run page, the Sweep page's parallel
    coordinates. document.scrollWidth is measured at 390 px on each."""
    ids = []
    for i, name in enumerate([UNBROKEN, UNBROKEN + "_2", "short"]):
        run = trainboard.init(
            project="unbroken-sweep", name=name, group="sweep-unbroken",
            config={"learning_rate_for_the_whole_model": 1e-4 * (i + 1), "momentum": 0.1 * i},
        )  # fmt: skip
        for s in range(1, 31):
            run.log({"train/loss": 2.0 / s + i / 10, "eval/loss": 2.2 / s + i / 10}, step=s)
        for key in ("model/transformer/h/11/mlp/c_proj/weight_gradients_histogram", "weights/b"):
            run.log_histogram(key, [math.sin(k * (i + 1)) for k in range(300)], step=30)
        run.summary["objective"] = 1.0 / (i + 1)
        run.finish()
        ids.append(run.id)
    wait_until(lambda: server.api("/runs").json()["total"] == 3, what="3 runs stored")
    ctx = chromium.new_context(viewport={"width": 390, "height": 844})
    pg = ctx.new_page()
    too_wide: list[str] = []
    try:
        pg.goto(f"{server.url}/compare?runs={','.join(ids)}")
        expect(pg.get_by_test_id("compare-table")).to_be_visible()
        expect(pg.locator(".compare-chart canvas").first).to_be_visible()
        too_wide += _overflow(pg, "compare")
        pg.screenshot(path=str(ARTIFACTS / "layout_unbroken_compare_390.png"), full_page=True)
        pg.goto(f"{server.url}/runs/{ids[0]}")
        expect(pg.locator(".chart canvas").first).to_be_visible()
        expect(pg.get_by_text("weight_gradients_histogram").first).to_be_visible()
        too_wide += _overflow(pg, "run")
        pg.screenshot(path=str(ARTIFACTS / "layout_unbroken_run_390.png"), full_page=True)
        pg.goto(f"{server.url}/sweep?ids={','.join(ids)}&metric=eval/loss")
        coords = pg.get_by_test_id("sweep-parallel")
        expect(coords).to_be_visible()
        too_wide += _overflow(pg, "sweep")
        # the parallel coordinates are whole: scrolled inside their box, never cut off
        box = coords.evaluate(
            "e => { const s = e.querySelector('svg').getBoundingClientRect();"
            " return [e.scrollWidth, e.clientWidth, s.width, getComputedStyle(e).overflowX]; }"
        )
        assert box[0] <= box[1] or box[3] in ("auto", "scroll"), box
        # and no axis name or tick runs off the drawing (a long parameter name was cut)
        cut = coords.evaluate(
            "e => { const s = e.querySelector('svg'); const w = s.viewBox.baseVal.width;"
            " return [...s.querySelectorAll('text')].map(t => [t.textContent, t.getBBox()])"
            ".filter(([, b]) => b.x < 0 || b.x + b.width > w).map(([n]) => n); }"
        )
        assert cut == [], cut
        expect(coords.locator("text.axis-name").first).to_have_text(
            re.compile("^learning_rate_for_t…")
        )
        pg.screenshot(path=str(ARTIFACTS / "layout_unbroken_sweep_390.png"), full_page=True)
    finally:
        ctx.close()
    assert not too_wide, "\n".join(too_wide)
