"""Connection limits uvicorn does not have: a deadline for a request's headers.

uvicorn closes a connection that idles between requests (timeout_keep_alive), but not one
that opens and sends nothing, or sends its headers a byte a minute: enough of those fill the
process's file descriptors and the server stops accepting. This protocol arms a timer when a
connection opens and after each response; a request whose headers have not all arrived when
it fires is closed. The number of connections served at once is uvicorn's own
limit_concurrency (beyond it, a 503).
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol


def limited_protocol(header_timeout: float) -> type[asyncio.Protocol]:
    """An h11 protocol class that closes connections slower than `header_timeout` s to send
    their request headers."""

    class HeaderDeadlineProtocol(H11Protocol):
        _deadline: asyncio.TimerHandle | None = None
        _armed_for: Any = None

        def _arm(self) -> None:
            self._disarm()
            self._armed_for = self.cycle
            self._deadline = self.loop.call_later(header_timeout, self._expire)

        def _disarm(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None

        def _expire(self) -> None:
            self._deadline = None
            if self.cycle is self._armed_for and not self.transport.is_closing():
                self.transport.close()  # no request began since the timer was armed

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._arm()

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

    return HeaderDeadlineProtocol
