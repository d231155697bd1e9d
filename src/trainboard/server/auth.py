"""The token gate: with a token set, every API call and page needs it.

A request carries it as `Authorization: Bearer T`, as `?token=T` (EventSource cannot set
headers, and a person opens the printed URL), or as the cookie a page load with a valid
`?token=` sets, so the single-page app's fetches and its EventSource work without putting the
token in every URL. The cookie is HttpOnly and SameSite=Strict, so other sites cannot ride on
it. Tokens are compared in constant time.
"""

from __future__ import annotations

import hmac
from http.cookies import SimpleCookie
from urllib.parse import parse_qs, quote, unquote

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from trainboard.server.errors import error_response

COOKIE = "trainboard_token"


def _offered(scope: Scope) -> tuple[list[str], str | None]:
    """Every token the request offers, and the one from the query (which sets the cookie)."""
    offered: list[str] = []
    headers = dict(scope.get("headers") or [])
    auth = headers.get(b"authorization", b"").decode("latin-1")
    if auth.lower().startswith("bearer "):
        offered.append(auth[7:].strip())
    query = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("token", [])
    offered += query
    cookie = headers.get(b"cookie", b"").decode("latin-1")
    if cookie:
        morsel = SimpleCookie(cookie).get(COOKIE)
        if morsel is not None:
            offered.append(unquote(morsel.value))
    return offered, (query[0] if query else None)


class TokenMiddleware:
    """Answers 401 (the API's error body) unless the request carries the token."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.token = token.encode()

    def _valid(self, candidate: str) -> bool:
        return hmac.compare_digest(candidate.encode(), self.token)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        offered, from_query = _offered(scope)
        if not any(self._valid(t) for t in offered):
            response = error_response(
                401,
                "unauthorized",
                "this server needs its token: send 'Authorization: Bearer TOKEN' "
                "or add ?token=TOKEN to the URL",
            )
            response.headers["WWW-Authenticate"] = "Bearer"
            await response(scope, receive, send)
            return
        if from_query is None or not self._valid(from_query):
            await self.app(scope, receive, send)
            return

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                value = f"{COOKIE}={quote(from_query, safe='')}; Path=/; HttpOnly; SameSite=Strict"
                message["headers"] = [*message.get("headers", []), (b"set-cookie", value.encode())]
            await send(message)

        await self.app(scope, receive, send_with_cookie)
