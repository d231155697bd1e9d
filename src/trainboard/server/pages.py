"""The web UI: files from server/static/ (built by `make ui`), index.html for the app's pages.

The UI is a single-page app, so /, /runs/{id} and /compare (and any other page path) answer
with index.html and the app routes in the browser. Files are served only from inside the
static folder. Unknown /api paths are a JSON 404, never the app's HTML. Without a build, a
plain page says how to make one.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse, Response

from trainboard.errors import NotFoundError
from trainboard.server.routes.artifacts import inside

STATIC = Path(__file__).resolve().parent / "static"

for _ext, _type in {
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".css": "text/css",
    ".svg": "image/svg+xml",
    ".json": "application/json",
    ".map": "application/json",
    ".wasm": "application/wasm",
    ".woff2": "font/woff2",
}.items():
    mimetypes.add_type(_type, _ext)

NO_BUILD = """<!doctype html>
<html><head><meta charset="utf-8"><title>trainboard</title><link rel="icon" href="data:,"></head>
<body><h1>trainboard</h1>
<p>The web UI is not built. Run <code>make ui</code> in the trainboard checkout, then reload.</p>
<p>The JSON API works meanwhile: <a href="/api/v1/runs">/api/v1/runs</a>,
schema at <a href="/api/v1/openapi.json">/api/v1/openapi.json</a>.</p>
</body></html>
"""

pages_router = APIRouter(include_in_schema=False)


def _index(static: Path) -> Response:
    index = static / "index.html"
    if not index.is_file():
        return HTMLResponse(NO_BUILD)
    return FileResponse(index, media_type="text/html", headers={"Cache-Control": "no-cache"})


@pages_router.get("/{path:path}")
def page(path: str) -> Response:
    """A built file when one matches, else the app's index.html (it routes in the browser)."""
    if path == "api" or path.startswith("api/"):
        raise NotFoundError(f"no route GET /{path}")
    if path:
        found = inside(STATIC, path)
        if found is not None:
            cache = (
                "public, max-age=31536000, immutable" if "/assets/" in f"/{path}" else "no-cache"
            )
            return FileResponse(found, headers={"Cache-Control": cache})
        if "." in path.rsplit("/", 1)[-1]:  # a missing file, not a page
            raise NotFoundError(f"no file /{path}")
    return _index(STATIC)
