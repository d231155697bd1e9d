"""The Run page's fuller progress card: GPU utilisation and memory, the loss-trend arrow with
its numbers in a tooltip, a checkpoint mark on the bar, and the estimated cost."""

from __future__ import annotations

from pathlib import Path

from browser_support import Server, wait_until
from playwright.sync_api import Page, expect

import trainboard


def test_card_shows_gpu_trend_checkpoints_and_cost(
    server: Server, ui: Page, tmp_path: Path
) -> None:
    ckpt = tmp_path / "step_20.pt"
    ckpt.write_bytes(b"x" * 100)
    run = trainboard.init(project="p", name="card", total_steps=80,
                          config={"price_per_hour": 3.0})  # fmt: skip
    for s in range(1, 41):
        run.log({"train/loss": 3.0 - s / 20, "sys/gpu0/util": 87.0,
                 "sys/gpu0/mem_used_gb": 40.5, "sys/gpu0/mem_percent": 51.0}, step=s)  # fmt: skip
    run.log_artifact(str(ckpt), kind="checkpoint", step=20)
    wait_until(lambda: server.api(f"/runs/{run.id}").json()["run"]["last_step"] == 40,
               what="40 steps stored")  # fmt: skip
    ui.goto(f"{server.url}/runs/{run.id}")
    expect(ui.get_by_test_id("gpu-util")).to_have_text("87%")
    expect(ui.get_by_test_id("gpu-mem")).to_contain_text("40.5 GB")
    expect(ui.get_by_test_id("loss-trend")).to_have_text("↓ improving")
    tip = ui.locator(".stat", has=ui.get_by_test_id("loss-trend")).get_attribute("title")
    assert tip and tip.startswith("train/loss: median") and "%)" in tip
    mark = ui.get_by_test_id("checkpoint-mark")
    expect(mark).to_have_attribute("title", "checkpoint step_20.pt at step 20")
    assert mark.evaluate("e => e.style.left") == "25%"
    expect(ui.get_by_test_id("cost")).to_be_visible()
    assert ui.locator(".stat", has=ui.get_by_test_id("cost")).get_attribute("title", timeout=20_000)
    run.finish()
