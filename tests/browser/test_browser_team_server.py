"""A team server scales out on PostgreSQL: two `trainboard ui` processes on one database,
sharing nothing else. A page served by one shows, live, a run the remote SDK logs through the
other (docs/team_server.md)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from browser_support import ROOT, Server, stop_server, wait_until
from loopback import free_port
from playwright.sync_api import Page, expect

import trainboard

TOKEN = "team-admin-token"


def _start(db_url: str, home: Path, log: Path) -> Server:
    port = free_port()
    env = dict(os.environ, TRAINBOARD_DB=db_url, TRAINBOARD_HOME=str(home),
               TRAINBOARD_SYSTEM_INTERVAL="0")  # fmt: skip
    env.pop("TRAINBOARD_URL", None)
    env.pop("TRAINBOARD_TOKEN", None)
    cmd = [sys.executable, "-m", "trainboard", "ui", "--no-browser", "--port", str(port),
           "--token", TOKEN]  # fmt: skip
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=str(ROOT))
    server = Server(f"http://127.0.0.1:{port}", str(home), TOKEN, proc)

    def ready() -> bool:
        if proc.poll() is not None:
            raise AssertionError(f"server exited {proc.returncode}:\n{log.read_text()}")
        try:
            return server.api("/runs").status_code == 200
        except httpx.HTTPError:
            return False

    wait_until(ready, timeout=60, what=f"the server on port {port}")
    return server


@pytest.fixture
def two_servers(pg_url: str, tmp_path: Path) -> Iterator[tuple[Server, Server]]:
    """Two server processes, each with its own home folder, on one PostgreSQL database."""
    logs = [tmp_path / "one.log", tmp_path / "two.log"]
    one = _start(pg_url, tmp_path / "home-one", logs[0])
    two = _start(pg_url, tmp_path / "home-two", logs[1])
    yield one, two
    for s, log in zip((one, two), logs, strict=True):
        stop_server(s, log, failed=True)


def test_a_page_on_one_server_follows_a_run_logged_through_the_other(
    two_servers: tuple[Server, Server], ui: Page, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    one, two = two_servers
    monkeypatch.setenv("TRAINBOARD_HOME", str(tmp_path / "trainer"))
    monkeypatch.setenv("TRAINBOARD_URL", two.url)  # the training job knows only server two
    monkeypatch.setenv("TRAINBOARD_TOKEN", TOKEN)
    monkeypatch.setenv("TRAINBOARD_SYSTEM_INTERVAL", "0")
    monkeypatch.delenv("TRAINBOARD_DB", raising=False)
    run = trainboard.init(project="team", name="shared-run", model="m", total_steps=100)
    try:
        run.log({"train/loss": 0.9}, step=1)
        wait_until(lambda: one.api(f"/runs/{run.id}").status_code == 200, what="the run on one")
        ui.goto(f"{one.url}/runs/{run.id}?token={TOKEN}")
        expect(ui.get_by_test_id("loss")).to_have_text("0.9000")
        expect(ui.get_by_test_id("steps")).to_have_text("step 1 / 100")
        for step, loss in ((2, 0.5), (40, 0.25)):  # live: the page is not reloaded
            run.log({"train/loss": loss}, step=step)
            expect(ui.get_by_test_id("loss")).to_have_text(f"{loss:.4f}", timeout=10_000)
        expect(ui.get_by_test_id("steps")).to_have_text("step 40 / 100")
    finally:
        run.finish()
    expect(ui.locator(".progress-card .status")).to_have_text("finished", timeout=10_000)
    # both processes list it: the database is all they share
    assert "shared-run" in one.api("/runs").text and "shared-run" in two.api("/runs").text
