"""Text samples of a run (generated text by step), shown as text by the UI, never as HTML."""

from __future__ import annotations

from fastapi.responses import Response
from pydantic import BaseModel

from trainboard.server.deps import StoreDep, api_router
from trainboard.server.jsonio import json_response

texts_router = api_router(tags=["texts"])


class TextOut(BaseModel):
    key: str
    step: int
    wall_time: float
    text: str


class TextsOut(BaseModel):
    texts: list[TextOut]


@texts_router.get(
    "/runs/{run_id}/texts", response_class=Response, responses={200: {"model": TextsOut}}
)
def read_texts(
    run_id: str,
    store: StoreDep,
    key: str | None = None,
    since: int | None = None,
) -> Response:
    store.get_run(run_id)  # a missing run is a 404, not an empty list
    rows = store.read_texts(run_id, key=key or None, since=since)
    return json_response({"texts": [r.__dict__ for r in rows]})
