"""`GET /live`: the server-sent stream that tells open pages to fetch new points (see
server/sse.py). Named apart from `/runs/{id}/events`, which is one run's stored events
(alerts, restarts): this is no record, only a signal."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import StreamingResponse

from trainboard.server.deps import api_router

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
    return StreamingResponse(
        request.app.state.events.stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
