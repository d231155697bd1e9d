"""Exports of one run: every stored point as JSON or a wide CSV, the same bytes as
`trainboard export` (both call trainboard.exporting), streamed window by window so a run of
millions of points neither waits for nor holds the whole file."""

from __future__ import annotations

import re

from fastapi.responses import StreamingResponse

from trainboard.exporting import iter_csv, iter_json
from trainboard.server.deps import StoreDep, api_router
from trainboard.store.base import Store

exports_router = api_router(tags=["exports"])


def _attachment(store: Store, run_id: str, ext: str) -> dict[str, str]:
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", store.get_run(run_id).name or run_id)
    return {"Content-Disposition": f'attachment; filename="{name}-{run_id}.{ext}"'}


@exports_router.get(
    "/runs/{run_id}/export.json",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {"application/json": {}},
            "description": '{"run": {...}, "metrics": {"<key>": [[step, time, value]]}}',
        }
    },
)
def export_json(run_id: str, store: StoreDep) -> StreamingResponse:
    headers = _attachment(store, run_id, "json")
    return StreamingResponse(
        iter_json(store, run_id), media_type="application/json", headers=headers
    )


@exports_router.get(
    "/runs/{run_id}/export.csv",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/csv": {}}, "description": "step, then one column per metric"}
    },
)
def export_csv(run_id: str, store: StoreDep) -> StreamingResponse:
    headers = _attachment(store, run_id, "csv")
    return StreamingResponse(iter_csv(store, run_id), media_type="text/csv", headers=headers)
