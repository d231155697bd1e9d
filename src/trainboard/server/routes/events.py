"""Server-sent events: the live page's signal to fetch new points (see server/sse.py)."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import StreamingResponse

from trainboard.server.deps import api_router

events_router = api_router(tags=["events"])


@events_router.get(
    "/events",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {"text/event-stream": {}},
            "description": 'events `points` {"run", "last_step", "keys"} and `runs` {"ids"}; '
            "a `: ping` comment every 15 s",
        }
    },
)
async def events(request: Request) -> StreamingResponse:
    return StreamingResponse(
        request.app.state.events.stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
