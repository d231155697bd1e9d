"""Choosing a run: "Mark as chosen" on the Compare recommendation flags the run on the Runs
page, in `trainboard ls --json`, and keeps it out of every "archive the losers"."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import httpx
from browser_support import Server, wait_until
from playwright.sync_api import Page, expect
from test_browser_compare import _run


def test_mark_as_chosen_and_never_archived(server: Server, ui: Page, tb_home: str) -> None:
    best = _run("qwen-best", [1.3, 1.0, 1.1], 3e-5)
    mid = _run("qwen-mid", [1.5, 1.4, 1.352], 1e-4)
    close = _run("qwen-close", [1.4, 1.2, 1.25], 3e-4)
    wait_until(lambda: server.api("/runs").json()["total"] == 3, what="3 runs stored")
    ui.goto(f"{server.url}/compare?runs={best},{mid},{close}")
    rec = ui.get_by_test_id("recommendation")
    rec.get_by_role("button", name="Mark as chosen").click()
    expect(ui.get_by_test_id("compare-notice")).to_have_text("Marked qwen-best as chosen")
    expect(rec.get_by_role("button", name="✓ Chosen")).to_be_visible()
    assert server.api(f"/runs/{best}").json()["run"]["chosen"] is True

    # a loser someone chose stays out of "archive the others" and "archive runs >25% worse"
    r = httpx.post(f"{server.url}/api/v1/runs/choose", json={"ids": [mid]}, timeout=10)
    assert r.status_code == 200 and r.json() == {"chosen": 1}
    ui.reload()
    expect(rec.get_by_role("button", name="Archive the others (1)")).to_be_visible()
    expect(rec.get_by_role("button", name="Archive runs >25% worse (0)")).to_be_disabled()

    ui.goto(f"{server.url}/")
    expect(ui.locator(f'tr[data-run-id="{best}"] [data-testid="chosen"]')).to_have_text("chosen")
    expect(ui.locator(f'tr[data-run-id="{close}"] [data-testid="chosen"]')).to_have_count(0)

    unknown = httpx.post(f"{server.url}/api/v1/runs/choose", json={"ids": ["nope"]}, timeout=10)
    assert unknown.status_code == 404 and "nope" in unknown.json()["error"]["message"]


def python_m(*args: str, env_home: str) -> subprocess.CompletedProcess[str]:
    """`python -m trainboard ARGS` in a child process on the store under `env_home`."""
    env = dict(os.environ, TRAINBOARD_HOME=env_home, TRAINBOARD_SYSTEM_INTERVAL="0")
    env.pop("TRAINBOARD_DB", None)
    env.pop("TRAINBOARD_URL", None)
    cmd = [sys.executable, "-m", "trainboard", *args]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)


def test_ls_json_and_archive_worse_than_respect_the_choice(server: Server, tb_home: str) -> None:
    best = _run("qwen-best", [1.3, 1.0, 1.1], 3e-5)
    mid = _run("qwen-mid", [1.5, 1.4, 1.352], 1e-4)
    httpx.post(f"{server.url}/api/v1/runs/choose", json={"ids": [mid]}, timeout=10)
    rows = json.loads(python_m("ls", "--json", env_home=tb_home).stdout)
    assert {r["id"]: r["chosen"] for r in rows} == {best: False, mid: True}
    out = python_m("archive", "--worse-than", "10%", "--yes", env_home=tb_home)
    assert "no run is more than 10% worse" in out.stdout, out.stdout + out.stderr
    assert server.api(f"/runs/{mid}").json()["run"]["archived"] is False
