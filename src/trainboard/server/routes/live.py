"""`GET /live`: the server-sent stream that tells open pages to fetch new points (see
server/sse.py). Named apart from `/runs/{id}/events`, which is one run's stored events
(alerts, restarts): this is no record, only a signal."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import StreamingResponse

from trainboard.server.deps import api_router, who_sent

live_router = api_router(tags=["live"])


@live_router.get(
    "/live",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {"text/event-stream": {}},
            "description": 'events `points` {"run", "last_step", "keys"} and `runs` {"ids"}; '
            "a `: ping` comment every 15 s",
        }
    },
)
async def live(request: Request) -> StreamingResponse:
    """For a token limited to projects, only the events about their runs (server/sse.py)."""
    return StreamingResponse(
        request.app.state.events.stream(who_sent(request).projects),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
