"""Fixtures for the browser tests: the real Debian Chromium through Playwright's sync API, a real
`trainboard ui` server over a fresh store in tmp_path, and a page that fails the test on any
console error and leaves a screenshot in test-artifacts/.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_support import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    STATIC_INDEX,
    Server,
    start_server,
    stop_server,
)
from playwright.sync_api import (
    Browser,
    ConsoleMessage,
    Page,
    Playwright,
    Response,
    expect,
    sync_playwright,
)

# A loaded 2-core machine (the suite runs in parallel beside other work) can take well over
# Playwright's default 5 s to show a live update; an expectation that holds returns at once.
expect.set_options(timeout=20_000)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test_browser_*.py test here drives Chromium (marker `browser`)."""
    here = Path(__file__).parent
    for item in items:
        path = Path(str(item.fspath))
        if path.is_relative_to(here) and path.name.startswith("test_browser_"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def playwright_sync() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def chromium(playwright_sync: Playwright) -> Iterator[Browser]:
    assert STATIC_INDEX.is_file(), (
        f"the web UI is not built: {STATIC_INDEX} is missing; run `make ui` "
        "(cd ui && npm ci && npm run build) before the browser tests"
    )
    assert os.access(CHROMIUM, os.X_OK), f"{CHROMIUM} not found: run `make chromium`"
    b = playwright_sync.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield b
    b.close()


@pytest.fixture
def server(tb_home: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Server]:
    """A real server over a fresh store; the test's SDK calls write the same store (tb_home)."""
    log = tmp_path / "server.log"
    s = start_server(tb_home, log)
    yield s
    rep = getattr(request.node, "rep_call", None)
    stop_server(s, log, failed=bool(rep and rep.failed))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    rep = outcome.get_result()
    if rep.when == "call":
        item.rep_call = rep  # type: ignore[attr-defined]


@pytest.fixture
def ui(chromium: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh page; console errors and page errors fail the test; a screenshot is saved."""
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    errors: list[str] = []

    def on_console(msg: ConsoleMessage) -> None:
        if msg.type == "error":
            errors.append(f"console error: {msg.text}")

    def on_response(resp: Response) -> None:
        if resp.status >= 500:
            try:
                body = resp.text()[:300]
            except Exception as e:  # the page may have gone away meanwhile
                body = f"<unreadable: {e}>"
            errors.append(f"HTTP {resp.status} {resp.request.method} {resp.url}: {body}")

    pg.on("console", on_console)
    pg.on("response", on_response)
    pg.on("pageerror", lambda e: errors.append(f"page error: {e}"))
    yield pg
    ARTIFACTS.mkdir(exist_ok=True)
    name = request.node.name.replace("/", "_").replace("[", "_").replace("]", "")
    try:
        pg.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    finally:
        context.close()
    assert not errors, "the page logged errors:\n" + "\n".join(errors)
