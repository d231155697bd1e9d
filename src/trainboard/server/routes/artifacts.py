"""Artifacts of a run (checkpoints, files) and their download.

A download is served only from inside the store's artifact folder: the stored relative path is
resolved (symlinks followed) and must still lie inside that folder. A record whose path escapes
(`../`, an absolute path, a symlink pointing out) answers 404 like a missing file, so the API
never confirms what exists elsewhere on the machine.

A file is served as `application/octet-stream` unless its suffix is one of a few known, inert
types (KNOWN_TYPES). The system's MIME table is not asked: it names a `.pt` checkpoint
`application/vnd.snesdev-page-table`, and an `.html` or `.svg` artifact served as itself
would run its scripts on the dashboard's origin.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import Request
from fastapi.responses import FileResponse, Response
from pydantic import BaseModel

from trainboard.errors import NotFoundError
from trainboard.server.deps import StoreDep, api_router
from trainboard.server.jsonio import json_response
from trainboard.store.base import Store
from trainboard.store.records import ArtifactRecord

artifacts_router = api_router(tags=["artifacts"])

KNOWN_TYPES = {
    ".txt": "text/plain; charset=utf-8",
    ".log": "text/plain; charset=utf-8",
    ".md": "text/plain; charset=utf-8",
    ".csv": "text/csv; charset=utf-8",
    ".json": "application/json",
    ".jsonl": "application/x-ndjson",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".pdf": "application/pdf",
}


class ArtifactOut(BaseModel):
    id: int | None
    name: str
    kind: str
    step: int | None
    path: str
    size: int
    wall_time: float


class ArtifactsOut(BaseModel):
    artifacts: list[ArtifactOut]


@artifacts_router.get(
    "/runs/{run_id}/artifacts", response_class=Response, responses={200: {"model": ArtifactsOut}}
)
def list_artifacts(run_id: str, store: StoreDep) -> Response:
    store.get_run(run_id)
    return json_response({"artifacts": [a.__dict__ for a in store.list_artifacts(run_id)]})


def inside(folder: Path, relative: str) -> Path | None:
    """`folder/relative` resolved, if it is a file strictly inside `folder`; else None."""
    base = folder.resolve()
    try:
        target = (base / relative).resolve(strict=True)
    except (OSError, RuntimeError, ValueError):
        return None
    if target == base or not target.is_relative_to(base) or not target.is_file():
        return None
    return target


def _find(store: Store, run_id: str, artifact_id: int) -> ArtifactRecord:
    for a in store.list_artifacts(run_id):
        if a.id == artifact_id:
            return a
    raise NotFoundError(f"run {run_id!r} has no artifact with id {artifact_id}")


@artifacts_router.get(
    "/runs/{run_id}/artifacts/{artifact_id}/file",
    response_class=FileResponse,
    responses={200: {"content": {"application/octet-stream": {}}, "description": "the file"}},
)
def artifact_file(run_id: str, artifact_id: int, store: StoreDep, request: Request) -> FileResponse:
    store.get_run(run_id)
    artifact = _find(store, run_id, artifact_id)
    path = inside(request.app.state.artifacts_dir, artifact.path)
    if path is None:
        raise NotFoundError(
            f"artifact {artifact_id} of run {run_id!r} has no file in the store's artifact folder"
        )
    media = KNOWN_TYPES.get(path.suffix.lower(), "application/octet-stream")
    response = FileResponse(path, filename=path.name, media_type=media)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
