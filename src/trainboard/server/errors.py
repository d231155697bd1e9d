"""One JSON error body for every 4xx/5xx: `{"error": {"status", "code", "message"}}`, plus
`run_id` when the run asked for does not exist.

Deliberate errors come from the tree in trainboard.errors and carry their own status and code,
so this module has no table of special cases. Anything else is an opaque 500: its text may hold
paths or SQL, which a client has no business seeing (the server log keeps the traceback).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from trainboard.errors import RunNotFoundError, TrainboardError
from trainboard.server.jsonio import json_response

log = logging.getLogger("trainboard.server")

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    415: "unsupported_media_type",
}


def error_body(status: int, code: str, message: str, **extra: str) -> dict[str, Any]:
    return {"error": {"status": status, "code": code, "message": message, **extra}}


def error_response(status: int, code: str, message: str, **extra: str) -> Response:
    return json_response(error_body(status, code, message, **extra), status=status)


def _validation_message(errors: Sequence[Any]) -> str:
    """ "query parameter 'max_points': Input should be a valid integer, got 'abc'"."""
    parts = []
    for e in errors:
        loc = [str(p) for p in e.get("loc", ())]
        where = loc[0] if loc else "request"
        name = ".".join(loc[1:])
        place = {"query": "query parameter", "path": "path parameter", "body": "body field"}
        label = f"{place.get(where, where)} {name!r}" if name else place.get(where, where)
        msg = str(e.get("msg", "invalid"))
        if "input" in e and e.get("type") != "missing":
            got = e["input"]
            msg += f", got {got!r}" if not isinstance(got, dict) else ""
        parts.append(f"{label}: {msg}")
    return "; ".join(parts) or "invalid request"


async def _trainboard_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, TrainboardError)
    if exc.status >= 500:
        log.error("%s: %s", exc.code, exc.message)
    if isinstance(exc, RunNotFoundError):  # a client reads the id, never parses the message
        return error_response(exc.status, exc.code, exc.message, run_id=exc.run_id)
    return error_response(exc.status, exc.code, exc.message)


async def _validation_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    return error_response(400, "bad_request", _validation_message(exc.errors()))


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 404:
        message = f"no route {request.method} {request.url.path}"
    else:
        message = str(exc.detail)
    response = error_response(
        exc.status_code, _HTTP_CODES.get(exc.status_code, "http_error"), message
    )
    if exc.headers:
        response.headers.update(exc.headers)
    return response


async def _unexpected_error(_: Request, exc: Exception) -> Response:
    # Starlette re-raises after this response, so uvicorn logs the traceback once.
    return error_response(500, "internal_error", "internal server error")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(TrainboardError, _trainboard_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)
