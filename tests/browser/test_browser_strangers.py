"""A web page on another origin cannot change a loopback server's runs, and a page that
reaches it through a rebound DNS name cannot even read them (real Chromium, two real
servers: the trainboard one and a plain HTTP server on another port playing the stranger)."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_support import CHROMIUM, CHROMIUM_ARGS, Server, wait_until
from playwright.sync_api import Playwright

import trainboard

EVIL = """<!doctype html><html><head><link rel="icon" href="data:,"></head><body><script>
const target = "%(target)s";
const ids = JSON.stringify({ids: ["%(run)s"], confirm: true});
const post = (path, type) => fetch(target + path, {method: "POST", mode: "no-cors",
  headers: {"Content-Type": type}, body: ids}).catch(() => null);
Promise.all([
  post("/api/v1/runs/archive", "text/plain"),
  post("/api/v1/runs/delete", "text/plain"),
  post("/api/v1/runs/delete", "application/x-www-form-urlencoded"),
  post("/api/v1/ingest", "text/plain"),
]).then(() => { document.title = "sent"; });
</script></body></html>"""


@pytest.fixture
def stranger(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A plain HTTP server on another loopback port: the other origin."""
    root = tmp_path / "evil"
    root.mkdir()

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a: object, **kw: object) -> None:
            super().__init__(*a, directory=str(root), **kw)  # type: ignore[arg-type]

        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)  # the OS picks, and holds
    port = httpd.server_address[1]
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{port}", root
    finally:
        httpd.shutdown()
        httpd.server_close()


def _run(server: Server) -> str:
    run = trainboard.init(project="p", name="precious", model="m", total_steps=10)
    run.log({"train/loss": 0.5}, step=1)
    run.finish()
    wait_until(lambda: server.api("/runs").json()["total"] == 1, what="the run")
    return run.id


def test_a_page_on_another_origin_cannot_change_runs(
    server: Server, stranger: tuple[str, Path], playwright_sync: Playwright
) -> None:
    run_id = _run(server)
    origin, root = stranger
    (root / "index.html").write_text(EVIL % {"target": server.url, "run": run_id})
    browser = playwright_sync.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    try:
        page = browser.new_page()
        refused: list[int] = []
        page.on("response", lambda r: refused.append(r.status) if "/api/v1/" in r.url else None)
        page.goto(f"{origin}/index.html")
        page.wait_for_function("document.title === 'sent'")
        wait_until(lambda: len(refused) == 4, what="the four answers")
        assert refused == [403] * 4
        listed = server.api("/runs", archived="all").json()
        assert listed["total"] == 1 and listed["runs"][0]["archived"] is False
        # the control: the server's own page, same browser, same request, is obeyed
        own = browser.new_page()
        own.goto(server.url)
        status = own.evaluate(
            """async ([url, id]) => (await fetch(url + "/api/v1/runs/archive", {method: "POST",
                 headers: {"Content-Type": "application/json"},
                 body: JSON.stringify({ids: [id]})})).status""",
            [server.url, run_id],
        )
        assert status == 200
        assert server.api("/runs", archived="all").json()["runs"][0]["archived"] is True
    finally:
        browser.close()


def test_a_rebound_dns_name_cannot_read_or_write(
    server: Server, playwright_sync: Playwright
) -> None:
    """evil.test resolves to 127.0.0.1 (as a rebinding attacker's name would): its page is
    same-origin with itself, so only the Host check stands between it and the runs."""
    run_id = _run(server)
    port = server.url.rsplit(":", 1)[1]
    args = [*CHROMIUM_ARGS, "--host-resolver-rules=MAP evil.test 127.0.0.1"]
    browser = playwright_sync.chromium.launch(executable_path=CHROMIUM, args=args)
    try:
        page = browser.new_page()
        answer = page.goto(f"http://evil.test:{port}/")
        assert answer is not None and answer.status == 403
        assert "DNS rebinding" in page.content()
        got = page.evaluate(
            """async (id) => [(await fetch("/api/v1/runs")).status,
               (await fetch("/api/v1/runs/archive", {method: "POST",
                 headers: {"Content-Type": "application/json"},
                 body: JSON.stringify({ids: [id]})})).status]""",
            run_id,
        )
        assert got == [403, 403]
        assert server.api("/runs").json()["runs"][0]["archived"] is False
    finally:
        browser.close()
