"""The server: `create_app()` builds the FastAPI app, `build_server()` puts it behind the
one front door every served dashboard uses (`trainboard ui`, the team server, the notebook's
`%trainboard`), `serve()` runs that until interrupted.

The app holds one store (opened here, closed by the lifespan), one live-update poller
(server/sse.py) and the ingest log of the remote SDK's sequence numbers. Routes live one
resource per module in server/routes/; the built web UI is served last, for every path the
API does not claim.
"""

from __future__ import annotations

import ipaddress
import os
import re
import sys
import threading
import webbrowser
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from fastapi import FastAPI

from trainboard import settings
from trainboard.errors import StoreError, UsageError
from trainboard.server.alerting import ServerAlerts
from trainboard.server.connections import limited_protocol, raise_fd_limit
from trainboard.server.deps import API
from trainboard.server.errors import install_error_handlers
from trainboard.server.ownership import Owners
from trainboard.server.pages import pages_router
from trainboard.server.routes.artifacts import artifacts_router
from trainboard.server.routes.card import card_router
from trainboard.server.routes.choose import choose_router
from trainboard.server.routes.compare import compare_router
from trainboard.server.routes.control import control_router
from trainboard.server.routes.exports import exports_router
from trainboard.server.routes.histograms import histograms_router
from trainboard.server.routes.ingest import IngestLog, ingest_router
from trainboard.server.routes.live import live_router
from trainboard.server.routes.media import media_router
from trainboard.server.routes.runextras import runextras_router
from trainboard.server.routes.runs import runs_router
from trainboard.server.routes.runs_table import table_router
from trainboard.server.routes.series import series_router
from trainboard.server.routes.sweep import sweep_router
from trainboard.server.routes.texts import texts_router
from trainboard.server.security import Gate, GateConfig
from trainboard.server.sse import EventHub
from trainboard.store import open_store
from trainboard.store.sql import tokens

if TYPE_CHECKING:
    import uvicorn


def create_app(
    store_url: str | None = None, token: str | None = None, host: str | None = None
) -> FastAPI:
    """The app over the store at `store_url` (default: the configured store). With a token
    (or TRAINBOARD_TOKEN), or scoped tokens in the store, every API call and page needs one.
    `host` is the address served (serve() passes it): on loopback, requests must name a
    loopback host (server/security.py)."""
    url = store_url or settings.store_url()
    store = open_store(url)
    token = token if token is not None else (settings.token() or None)
    events = EventHub(store, alerts=ServerAlerts(store))

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await events.start()
        try:
            yield
        finally:
            await events.stop()
            store.close()

    app = FastAPI(
        title="trainboard",
        summary="Training runs, live: progress, series, comparisons.",
        version="1",
        openapi_url=f"{API}/openapi.json",
        docs_url=f"{API}/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.store = store
    app.state.events = events
    app.state.ingest_log = IngestLog(events.alerts)
    app.state.artifacts_dir = settings.artifacts_dir(url)
    app.state.owners = Owners(store)
    install_error_handlers(app)
    for router in (
        runs_router,
        runextras_router,
        series_router,
        texts_router,
        histograms_router,
        media_router,
        artifacts_router,
        exports_router,
        live_router,
        ingest_router,
        compare_router,
        table_router,
        card_router,
        sweep_router,
        choose_router,
        control_router,
    ):
        app.include_router(router, prefix=API)
    app.include_router(pages_router)
    allowed_hosts = settings.allowed_hosts()
    gate = GateConfig(
        admin_token=token or None,
        check_host=bool(host is not None and is_loopback(host) or allowed_hosts),
        allowed_hosts=allowed_hosts,
        allowed_origins=settings.allowed_origins(),
        max_body=settings.max_body_bytes(),
    )
    app.add_middleware(Gate, store=store, config=gate)
    return app


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _has_display() -> bool:
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _has_tokens(store_url: str | None) -> bool:
    """True when the store holds a live scoped token (a store that cannot be opened, or a
    remote one, has none: the server then needs its own token off loopback)."""
    try:
        with open_store(store_url) as store:
            return tokens.any_live(store)
    except (StoreError, UsageError):
        return False


def build_server(
    host: str, port: int, store_url: str | None = None, token: str | None = None
) -> uvicorn.Server:
    """The one way a dashboard is served, with one set of protections: the Host check on
    loopback (DNS rebinding), the Origin check, the body limit and the token gate
    (server/security.py), the header deadline and the connection cap that closes the longest
    idle connection for a new one (server/connections.py)."""
    import uvicorn

    app = create_app(store_url, token, host)
    alerts: ServerAlerts = app.state.events.alerts
    if host not in ("0.0.0.0", "::"):  # alerts link to runs at the address served
        shown = f"[{host}]" if ":" in host else host
        alerts.base_url = settings.public_url() or f"http://{shown}:{port}"
    cap = settings.max_connections()
    raise_fd_limit(cap + 64)
    return uvicorn.Server(
        uvicorn.Config(
            app,
            host=host,
            port=port,
            log_level="warning",
            lifespan="on",
            timeout_graceful_shutdown=1,
            http=limited_protocol(settings.header_timeout(), cap),
            limit_concurrency=cap + 1,  # the protocol keeps at most `cap` open
        )
    )


def serve(
    host: str = "127.0.0.1",
    port: int = 8765,
    token: str | None = None,
    open_browser: bool = False,
    store_url: str | None = None,
) -> None:
    """Serve the dashboard until interrupted. Refuses a non-loopback host without a token:
    anyone who can reach the port could otherwise read and delete every run."""
    token = token or settings.token() or None
    if not is_loopback(host) and not token and not _has_tokens(store_url):
        raise UsageError(
            f"refusing to listen on {host}, which is reachable from other machines, without a "
            "token: pass --token TOKEN or set TRAINBOARD_TOKEN, or create scoped tokens with "
            "`trainboard token create` (or use --host 127.0.0.1)"
        )
    server = build_server(host, port, store_url, token)
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{port}/" + (f"?token={token}" if token else "")
    app = server.config.app
    assert isinstance(app, FastAPI)
    store = re.sub(r"://([^:/@]+):[^@]*@", r"://\1:***@", app.state.store.url)
    print(f"trainboard: dashboard at {url}  (store: {store}; Ctrl+C stops)")
    sys.stdout.flush()
    if open_browser and _has_display():
        threading.Timer(1.0, webbrowser.open, [url]).start()
    server.run()
