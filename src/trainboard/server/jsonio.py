"""JSON out of the server: orjson bytes in a plain Response.

Why not FastAPI's own serialisation: it validates and encodes every value through pydantic,
which costs more than the store read for a 2,000-point series or a 10,000-run list. Routes
build plain dicts (numpy columns included), and declare their `…Out` models through
`responses=` so the OpenAPI schema still documents them.

NaN and ±inf are spelled as trainboard.jsonvalues says (docs/api.md).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import orjson
from fastapi.responses import Response

from trainboard.jsonvalues import spell

_OPTIONS = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS


def dumps(obj: Any) -> bytes:
    return orjson.dumps(obj, option=_OPTIONS)


def json_response(obj: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(dumps(obj), status_code=status, media_type="application/json", headers=headers)


def column(values: npt.NDArray[Any]) -> npt.NDArray[Any] | list[Any]:
    """A numpy column as JSON: the array itself when every value is finite (orjson writes it
    natively, fast), else a list with the non-finite values spelled out."""
    arr = np.ascontiguousarray(values)
    if arr.dtype.kind != "f" or bool(np.isfinite(arr).all()):
        return arr
    return [spell(v) for v in arr.tolist()]
