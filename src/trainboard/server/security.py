"""The server trusts no stranger: one ASGI gate in front of every route and page.

In order, for every HTTP request:

1. Host. A server on loopback answers only requests addressed to a loopback name
   (localhost, 127.0.0.1, [::1]) or one in TRAINBOARD_ALLOWED_HOSTS. A DNS-rebinding page
   (evil.example resolving to 127.0.0.1) sends `Host: evil.example` and gets a 403.
2. Origin. A request that changes something (any method but GET, HEAD, OPTIONS) and comes
   from a web page must come from the server's own origin (the Origin's host:port equals the
   Host header) or one in TRAINBOARD_ALLOWED_ORIGINS. A page on another site or another
   local port cannot create, archive or delete runs, even with a `no-cors` form post.
   Clients that are not browsers (the SDK, curl) send no Origin and are not affected.
3. Body size. A body over the limit (64 MB by default, TRAINBOARD_MAX_BODY_MB) is refused
   with 413, by its Content-Length or, for a chunked body, as soon as it grows past it.
4. Token. With the server's own token (`--token` / TRAINBOARD_TOKEN) or any scoped token in
   the store (`trainboard token create`), every request needs one: `Authorization: Bearer
   T`, `?token=T` (EventSource and the printed URL), or the HttpOnly SameSite=Strict cookie
   a page load with a valid `?token=` sets. Scopes: `read` sees everything, `write` also
   ingests (the remote SDK), `admin` also archives and deletes; the server's own token is
   admin. Whoever made a request is in `request.state.actor` (the token's name), which the
   archive and delete routes record, and its scope in `request.state.actor_scope` (ingest
   checks run ownership with both, server/ownership.py). Each request looks its token up in
   the store (one indexed query), so a revoked token is refused at its next request on every
   server process that shares the store. A token limited to projects (`token create
   --project P`) carries them in `request.state.actor_projects`: the routes see the store
   through server/projectview.py, and ingest and stop check the run's project
   (server/ownership.py), so anything about another project's run is a 403 naming it.

Without any token, a loopback server lets everyone on this machine do everything (as
Jupyter without a token would); steps 1-3 are what keeps web pages out.
"""

from __future__ import annotations

import hmac
import time
from dataclasses import dataclass, field
from http.cookies import CookieError, SimpleCookie
from urllib.parse import parse_qs, quote, unquote, urlsplit

from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from trainboard.errors import AuthError, ForbiddenError, TrainboardError
from trainboard.server.deps import API
from trainboard.server.errors import error_response
from trainboard.store.base import Store
from trainboard.store.sql import tokens

COOKIE = "trainboard_token"
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]", "::1"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CACHE_SECONDS = 2.0


@dataclass
class GateConfig:
    """What the gate enforces; built once by create_app from the settings."""

    admin_token: str | None = None
    check_host: bool = True  # on for loopback servers and wherever allowed_hosts is set
    allowed_hosts: frozenset[str] = field(default_factory=frozenset)
    allowed_origins: frozenset[str] = field(default_factory=frozenset)
    max_body: int = 64 * 1024 * 1024


def needed_scope(method: str, path: str) -> tokens.Scope:
    """read for reads, write for the ingest routes and for stopping a run, admin for every
    other change."""
    if method in SAFE_METHODS:
        return "read"
    if path.startswith(f"{API}/ingest") or (
        path.startswith(f"{API}/runs/") and path.endswith("/stop")
    ):
        return "write"
    return "admin"


def _header(scope: Scope, name: bytes) -> str | None:
    for k, v in scope.get("headers") or []:
        if k == name:
            return bytes(v).decode("latin-1")
    return None


def _hostname(host: str) -> str:
    """`host[:port]` -> host (IPv6 keeps its brackets), lower-cased."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[: host.find("]") + 1] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _offered(scope: Scope) -> tuple[list[str], str | None]:
    """Every token the request offers, and the one from the query (which sets the cookie)."""
    offered: list[str] = []
    auth = _header(scope, b"authorization") or ""
    if auth.lower().startswith("bearer "):
        offered.append(auth[7:].strip())
    query = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("token", [])
    offered += query
    cookie = _header(scope, b"cookie")
    if cookie:
        try:
            morsel = SimpleCookie(cookie).get(COOKIE)
        except CookieError:
            morsel = None
        if morsel is not None:
            offered.append(unquote(morsel.value))
    return offered, (query[0] if query else None)


class _BodyTooLarge(StarletteHTTPException):
    """Raised from the counted receive(); an HTTPException, so a route reading its body
    answers 413 through the app's error handlers (FastAPI turns other errors into 400s)."""

    def __init__(self, max_body: int) -> None:
        mb = max_body / (1024 * 1024)
        super().__init__(
            413,
            f"the request body is larger than this server's limit of {mb:g} MB "
            "(TRAINBOARD_MAX_BODY_MB); send it in smaller parts",
        )


class Gate:
    """The ASGI middleware of the module docstring."""

    def __init__(self, app: ASGIApp, store: Store, config: GateConfig) -> None:
        self.app = app
        self.store = store
        self.config = config
        self._admin = config.admin_token.encode() if config.admin_token else None
        self._any_live: tuple[float, bool] = (0.0, False)

    # the checks ---------------------------------------------------------------------------
    def _check_host(self, scope: Scope) -> None:
        if not self.config.check_host:
            return
        host = _header(scope, b"host")
        name = _hostname(host or "")
        if name not in LOOPBACK_HOSTS and name not in self.config.allowed_hosts:
            raise ForbiddenError(
                f"this server answers only requests for localhost, not Host {host!r} (a page "
                "that renamed this machine, as DNS rebinding does, is refused); add the name "
                "to TRAINBOARD_ALLOWED_HOSTS if it is yours"
            )

    def _check_origin(self, scope: Scope) -> None:
        if scope["method"] in SAFE_METHODS:
            return
        origin = _header(scope, b"origin")
        if origin is None:
            return  # not a browser page (the SDK, curl): nothing to ride on
        own = (_header(scope, b"host") or "").strip().lower()
        netloc = urlsplit(origin).netloc.lower() if origin != "null" else "null"
        if netloc and netloc == own or origin.rstrip("/") in self.config.allowed_origins:
            return
        raise ForbiddenError(
            f"a page on {origin} may not change this server's runs (only its own pages may); "
            "add the origin to TRAINBOARD_ALLOWED_ORIGINS if it is yours"
        )

    def _tokens_on(self) -> bool:
        if self._admin is not None:
            return True
        at, live = self._any_live
        if time.monotonic() - at > CACHE_SECONDS:
            live = tokens.any_live(self.store)
            self._any_live = (time.monotonic(), live)
        return live

    def _identify(self, token: str) -> tuple[str, str, tuple[str, ...] | None] | None:
        """(name, scope, the projects it is limited to or None) of a valid token, or None."""
        if self._admin is not None and hmac.compare_digest(token.encode(), self._admin):
            return "admin", "admin", None
        if not token.startswith(tokens.PREFIX):
            return None
        rec = tokens.lookup(self.store, token)  # each request: a revoked token stops at once
        return None if rec is None else (rec.name, rec.scope, rec.projects)

    def _authorize(self, scope: Scope) -> tuple[str, str, tuple[str, ...] | None, str | None]:
        """(actor name, its scope, its projects or None, a query token to set as the
        cookie); AuthError/ForbiddenError."""
        if not self._tokens_on():
            return "local", "admin", None, None
        offered, from_query = _offered(scope)
        who = next((w for w in map(self._identify, offered) if w is not None), None)
        if who is None:
            raise AuthError(
                "this server needs a token: send 'Authorization: Bearer TOKEN' or add "
                "?token=TOKEN to the URL"
            )
        name, granted, projects = who
        needed = needed_scope(scope["method"], scope["path"])
        if not tokens.allows(granted, needed):
            raise ForbiddenError(
                f"token {name!r} has scope {granted!r}; {scope['method']} {scope['path']} "
                f"needs scope {needed!r}"
            )
        cookie = from_query if from_query is not None and self._identify(from_query) else None
        return name, granted, projects, cookie

    def _check_length(self, scope: Scope) -> None:
        length = _header(scope, b"content-length")
        if length is not None and length.strip().isdigit():
            if int(length) > self.config.max_body:
                raise _BodyTooLarge(self.config.max_body)

    # ASGI ---------------------------------------------------------------------------------
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            self._check_host(scope)
            self._check_origin(scope)
            self._check_length(scope)
            actor, granted, projects, cookie = self._authorize(scope)
        except TrainboardError as e:
            await self._refuse(e.status, e.code, e.message, scope, receive, send)
            return
        except _BodyTooLarge as e:
            await self._refuse(413, "too_large", str(e.detail), scope, receive, send)
            return
        scope.setdefault("state", {})["actor"] = actor
        scope["state"]["actor_scope"] = granted
        scope["state"]["actor_projects"] = projects
        started = False

        async def counted_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                counted_receive.seen += len(message.get("body", b""))  # type: ignore[attr-defined]
                if counted_receive.seen > self.config.max_body:  # type: ignore[attr-defined]
                    raise _BodyTooLarge(self.config.max_body)
            return message

        counted_receive.seen = 0  # type: ignore[attr-defined]

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                if cookie is not None:
                    value = f"{COOKIE}={quote(cookie, safe='')}; Path=/; HttpOnly; SameSite=Strict"
                    headers = [*message.get("headers", []), (b"set-cookie", value.encode())]
                    message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except _BodyTooLarge as e:
            if not started:
                await self._refuse(413, "too_large", str(e.detail), scope, receive, send)

    @staticmethod
    async def _refuse(
        status: int, code: str, message: str, scope: Scope, receive: Receive, send: Send
    ) -> None:
        response = error_response(status, code, message)
        if status == 401:
            response.headers["WWW-Authenticate"] = "Bearer"
        if status == 413:
            response.headers["Connection"] = "close"
        await response(scope, receive, send)
