"""The notebook's `%trainboard` server keeps DNS-rebinding pages out (#23): it is built by the
same factory as `trainboard ui`, so its Host check refuses a page whose name now resolves to
127.0.0.1. Real Chromium, told by --host-resolver-rules that evil.example is 127.0.0.1 (what
the rebinding DNS answer does), and the real dashboard the notebook starts."""

from __future__ import annotations

import json
import time
from pathlib import Path

from browser_support import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS
from playwright.sync_api import Playwright, Route

from trainboard.notebook import start_dashboard
from trainboard.store import open_store
from trainboard.store.records import RunRecord

RUN = "abcdef012345"

ATTACK = """<!doctype html><meta charset="utf-8"><title>cute cats</title>
<pre id="out">working</pre>
<script>
(async () => {
  const seen = {};
  try {
  const list = await fetch("/api/v1/runs");
  seen.list = [list.status, (await list.text()).slice(0, 200)];
  const del = await fetch("/api/v1/runs/delete", {
    method: "POST", headers: {"Content-Type": "application/json"},
    body: JSON.stringify({ids: ["RUN_ID"], confirm: true}),
  });
  seen.delete = [del.status, (await del.text()).slice(0, 200)];
  } catch (e) { seen.error = String(e); }
  document.getElementById("out").textContent = JSON.stringify(seen);
})();
</script>""".replace("RUN_ID", RUN)


def test_a_rebinding_page_cannot_read_or_delete_through_the_notebook_server(
    playwright_sync: Playwright, tmp_path: Path
) -> None:
    store_url = f"sqlite:///{tmp_path / 'nb.db'}"
    with open_store(store_url) as db:
        db.create_run(RunRecord(id=RUN, project="p", name="secret", created_at=time.time()))
    url = start_dashboard(store=store_url)
    port = int(url.rstrip("/").rsplit(":", 1)[1])
    browser = playwright_sync.chromium.launch(
        executable_path=CHROMIUM,
        args=[
            *CHROMIUM_ARGS,
            "--host-resolver-rules=MAP evil.example 127.0.0.1",
            # the browser's own guard against public pages reaching loopback (Private and
            # Local Network Access) is off: older browsers, and rebinding tricks around it,
            # leave the server's Host check as the only one
            "--disable-features=BlockInsecurePrivateNetworkRequests,"
            "PrivateNetworkAccessSendPreflights,LocalNetworkAccessChecks",
        ],
    )
    try:
        page = browser.new_page()
        origin = f"http://evil.example:{port}"

        def attacker_page(route: Route) -> None:  # the page the attacker served before rebinding
            route.fulfill(status=200, content_type="text/html", body=ATTACK)

        page.route(f"{origin}/attack.html", attacker_page)
        page.goto(f"{origin}/attack.html")
        page.wait_for_function("document.getElementById('out').textContent !== 'working'")
        seen = json.loads(page.inner_text("#out"))
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "notebook_rebinding.png"))
        assert "error" not in seen, seen
        assert seen["list"][0] == 403, seen
        assert "secret" not in seen["list"][1]
        assert "DNS rebinding" in seen["list"][1]
        assert seen["delete"][0] == 403, seen
        # the dashboard itself, from its own name, still answers
        own = browser.new_page()
        assert own.goto(url) is not None
        assert own.evaluate("fetch('/api/v1/runs').then(r => r.status)") == 200
    finally:
        browser.close()
    with open_store(store_url) as db:
        assert db.get_run(RUN).name == "secret"  # nothing deleted
