"""Connection limits uvicorn does not have: a deadline for a request's headers, and room for a
fresh client however many idle connections are held.

uvicorn closes a connection that idles between requests (timeout_keep_alive), but not one
that opens and sends nothing, or sends its headers a byte a minute: enough of those fill the
process's file descriptors and the server stops accepting. This protocol arms a timer when a
connection opens and after each response; a request whose headers have not all arrived when
it fires is closed.

uvicorn's own cap (limit_concurrency) answers 503 to every request once that many connections
are open, so 1,000 held idle sockets shut everyone else out until they time out. Here a new
connection that finds the server full closes the connection that has been idle longest
instead (no request in flight: waiting for headers, or kept alive after a response; a browser
reopens such a connection by itself). Only when every connection is busy serving a request
(streams included) does a new one get the 503.
"""

from __future__ import annotations

import asyncio
import resource
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol


def raise_fd_limit(wanted: int) -> None:
    """Let this process hold `wanted` sockets (the soft limit up to the hard one), so the cap,
    not EMFILE at accept(), decides who is served."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (ValueError, OSError):
            pass  # the cap still holds; accept() then waits for a free descriptor


def limited_protocol(header_timeout: float, max_connections: int) -> type[asyncio.Protocol]:
    """An h11 protocol class that closes connections slower than `header_timeout` s to send
    their request headers, and keeps at most `max_connections` open by closing the longest
    idle one when a new one comes. Pass uvicorn `limit_concurrency=max_connections + 1`."""

    class LimitedProtocol(H11Protocol):
        _deadline: asyncio.TimerHandle | None = None
        _armed_for: Any = None
        _idle_since: float = 0.0

        def _arm(self) -> None:
            self._disarm()
            self._armed_for = self.cycle
            self._idle_since = self.loop.time()
            self._deadline = self.loop.call_later(header_timeout, self._expire)

        def _disarm(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None

        def _expire(self) -> None:
            self._deadline = None
            if self.cycle is self._armed_for and not self.transport.is_closing():
                self.transport.close()  # no request began since the timer was armed

        def _idle(self) -> bool:
            """No request in flight: its headers not in yet, or its response sent."""
            return self.cycle is self._armed_for and not self.transport.is_closing()

        def _make_room(self) -> None:
            while len(self.connections) > max_connections:
                idle = [
                    c
                    for c in self.connections
                    if c is not self and isinstance(c, LimitedProtocol) and c._idle()
                ]
                if not idle:
                    return  # all busy: uvicorn answers this one's request with a 503
                oldest = min(idle, key=lambda c: c._idle_since)
                self.connections.discard(oldest)
                oldest._disarm()
                oldest.transport.close()

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._arm()
            self._make_room()

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            if self.cycle is not self._armed_for:
                self._disarm()  # the request's headers are in

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._arm()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

    return LimitedProtocol
