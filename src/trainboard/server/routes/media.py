"""Media of runs: which keys a run has (with their steps), the items of a key at a step,
the same key at a step across runs (Compare), and the bytes by digest.

The lists are small JSON (a key's steps, a step's items); the bytes come one item at a time
from GET /media/{digest}, so a page with 10,000 images fetches only the few it shows. The
bytes never change (they are named by their SHA-256), so they are cached for good. They are
served with the type they were stored as, `nosniff`, and a sandboxing Content-Security-Policy:
an uploaded file opened directly can never run script in the dashboard's origin.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query
from fastapi.responses import Response
from pydantic import BaseModel

from trainboard.errors import UsageError
from trainboard.server.deps import API, StoreDep, api_router
from trainboard.server.jsonio import json_response
from trainboard.store.base import Store
from trainboard.store.mediarecords import MediaRecord, check_digest

media_router = api_router(tags=["media"])


class MediaKeyOut(BaseModel):
    key: str
    kind: str
    count: int
    steps: list[int]


class MediaKeysOut(BaseModel):
    keys: list[MediaKeyOut]


class MediaItemOut(BaseModel):
    key: str
    step: int
    index: int
    kind: str
    digest: str
    mime: str
    size: int
    wall_time: float
    caption: str | None
    width: int | None
    height: int | None
    meta: dict[str, Any] | None
    uses: list[str]
    url: str


class MediaItemsOut(BaseModel):
    items: list[MediaItemOut]


class CompareMediaRunOut(BaseModel):
    run_id: str
    step: int | None
    items: list[MediaItemOut]


class CompareMediaOut(BaseModel):
    key: str
    runs: list[CompareMediaRunOut]


def item_json(r: MediaRecord) -> dict[str, Any]:
    return {**r.__dict__, "url": f"{API}/media/{r.digest}"}


@media_router.get(
    "/runs/{run_id}/media", response_class=Response, responses={200: {"model": MediaKeysOut}}
)
def media_keys(run_id: str, store: StoreDep) -> Response:
    return json_response({"keys": [k.__dict__ for k in store.media_keys(run_id)]})


@media_router.get(
    "/runs/{run_id}/media/items",
    response_class=Response,
    responses={200: {"model": MediaItemsOut}},
)
def media_items(
    run_id: str,
    store: StoreDep,
    key: Annotated[str | None, Query(description="one media key (default: all)")] = None,
    step: Annotated[
        int | None,
        Query(ge=0, description="the items of the last step at or before this one (needs key)"),
    ] = None,
) -> Response:
    if step is not None and not key:
        raise UsageError("query parameter 'step' needs 'key'")
    items = store.read_media(run_id, key=key or None, step=step)
    return json_response({"items": [item_json(r) for r in items]})


def _ids(runs: str) -> list[str]:
    ids = list(dict.fromkeys(i.strip() for i in runs.split(",") if i.strip()))
    if not ids:
        raise UsageError("query parameter 'runs': expected comma-separated run ids, got none")
    return ids


def compare_media(store: Store, ids: list[str], key: str, step: int | None) -> dict[str, Any]:
    """Each run's items of `key` at `step` (its last step at or before it; no step: its
    last), side by side."""
    out = []
    for run_id in ids:
        store.get_run(run_id)  # an unknown id is a 404 naming it
        at = step
        if at is None:
            found = [k for k in store.media_keys(run_id) if k.key == key]
            at = found[0].steps[-1] if found else None
        items = [] if at is None else store.read_media(run_id, key=key, step=at)
        shown = items[0].step if items else None
        out.append({"run_id": run_id, "step": shown, "items": [item_json(r) for r in items]})
    return {"key": key, "runs": out}


@media_router.get(
    "/compare/media", response_class=Response, responses={200: {"model": CompareMediaOut}}
)
def get_compare_media(
    store: StoreDep,
    runs: Annotated[str, Query(description="comma-separated run ids, in selection order")],
    key: Annotated[str, Query(description="the media key")],
    step: Annotated[int | None, Query(ge=0, description="default: each run's last step")] = None,
) -> Response:
    return json_response(compare_media(store, _ids(runs), key, step))


@media_router.get(
    "/media/{digest}",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}, "description": "the bytes"}},
)
def media_bytes(digest: str, store: StoreDep) -> Response:
    check_digest("path parameter 'digest'", digest)
    mime, data = store.read_blob(digest)
    return Response(
        data,
        media_type=mime,
        headers={
            "Cache-Control": "private, max-age=31536000, immutable",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "sandbox; default-src 'none'",
        },
    )
