"""A server started with a token: the page keeps the token from its URL and sends it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_support import Server, start_server, stop_server, wait_until
from playwright.sync_api import Page, Request, expect

import trainboard

TOKEN = "s3cret-token"


@pytest.fixture
def token_server(tb_home: str, tmp_path: Path) -> Iterator[Server]:
    log = tmp_path / "server.log"
    s = start_server(tb_home, log, token=TOKEN)
    yield s
    stop_server(s, log, failed=False)


def test_token_from_the_url_is_kept_and_sent(token_server: Server, ui: Page) -> None:
    run = trainboard.init(project="p", name="guarded", model="m", total_steps=10)
    run.log({"train/loss": 0.5}, step=1)
    run.finish()
    wait_until(lambda: token_server.api("/runs").json()["total"] == 1, what="the run")
    api_calls: list[Request] = []
    ui.on("request", lambda r: api_calls.append(r) if "/api/v1/runs" in r.url else None)

    ui.goto(f"{token_server.url}/?token={TOKEN}")
    ui.get_by_role("link", name="guarded").click()
    expect(ui.get_by_test_id("loss")).to_have_text("0.5000")
    assert ui.evaluate("sessionStorage.getItem('trainboard.token')") == TOKEN
    assert api_calls, "the page made no API calls"
    assert all(r.headers.get("authorization") == f"Bearer {TOKEN}" for r in api_calls)
    csv = ui.locator('[data-chart="loss"] a.csv').first.get_attribute("href")
    assert csv is not None and csv.endswith(f"&token={TOKEN}")
    assert TOKEN not in ui.url.split("?")[0]
