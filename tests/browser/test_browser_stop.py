"""The Run page's Stop button stops a real training process, after a confirmation."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from browser_support import Server, wait_until
from playwright.sync_api import Page, expect

LOOP = textwrap.dedent(
    """
    import time
    import trainboard
    run = trainboard.init(project="ctl", name="<b>stop me</b>", total_steps=100000)
    print(run.id, flush=True)
    step = 0
    while not run.should_stop:
        step += 1
        run.log({"train/loss": 1.0 / step}, step=step)
        time.sleep(0.02)
    run.finish()
    """
)


def test_stop_button_asks_confirms_and_the_run_ends_stopped(
    server: Server, ui: Page, tmp_path: Path
) -> None:
    script = tmp_path / "loop.py"
    script.write_text(LOOP)
    env = dict(os.environ, TRAINBOARD_HOME=server.home, TRAINBOARD_SYSTEM_INTERVAL="0")
    proc = subprocess.Popen(
        [sys.executable, str(script)], stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        assert proc.stdout is not None
        run_id = proc.stdout.readline().strip()
        wait_until(lambda: (server.api(f"/runs/{run_id}").json()["run"]["last_step"] or 0) > 5,
                   what="steps stored")  # fmt: skip
        ui.goto(f"{server.url}/runs/{run_id}")
        expect(ui.locator(".badge.status").first).to_have_text("running")
        ui.get_by_role("button", name="Stop run").click()
        dialog = ui.get_by_role("dialog", name="Stop this run?")
        expect(dialog).to_contain_text("<b>stop me</b> will stop after its current step")
        ui.get_by_role("button", name="Cancel").click()
        expect(dialog).to_have_count(0)
        assert proc.poll() is None  # cancelled: still training
        ui.get_by_role("button", name="Stop run").click()
        ui.get_by_role("dialog").get_by_role("button", name="Stop run").click()
        expect(ui.get_by_role("button", name="stop asked…")).to_be_disabled()
        assert proc.wait(timeout=30) == 0  # the loop saw run.should_stop and left
        expect(ui.locator(".badge.status").first).to_have_text("stopped", timeout=15_000)
        ui.screenshot(path=str(tmp_path / "stopped.png"))
        expect(ui.get_by_role("button", name="Stop run")).to_have_count(0)
    finally:
        proc.kill()
