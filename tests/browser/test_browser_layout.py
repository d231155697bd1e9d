"""Every page at a phone's width (390 px) and a laptop's (1440 px): nothing overflows the window
sideways (a wide table scrolls inside its own box), and a screenshot of each is left in
test-artifacts/layout_*.png for a person to look at."""

from __future__ import annotations

import math
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
