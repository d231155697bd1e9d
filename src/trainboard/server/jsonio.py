"""JSON out of the server: orjson bytes in a plain Response.

Why not FastAPI's own serialisation: it validates and encodes every value through pydantic,
which costs more than the store read for a 2,000-point series or a 10,000-run list. Routes
build plain dicts (numpy columns included), and declare their `…Out` models through
`responses=` so the OpenAPI schema still documents them.

JSON has no NaN or infinity, and orjson would write them as null; the API's contract
(docs/api.md) spells them "NaN", "Infinity", "-Infinity", so they are converted here.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson
from fastapi.responses import Response

_OPTIONS = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS


def dumps(obj: Any) -> bytes:
    return orjson.dumps(obj, option=_OPTIONS)


def json_response(obj: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(dumps(obj), status_code=status, media_type="application/json", headers=headers)


def num(v: float | None) -> float | str | None:
    """One float as JSON: finite as is, NaN/±inf as their contract strings."""
    if v is None or math.isfinite(v):
        return v
    return "NaN" if math.isnan(v) else ("Infinity" if v > 0 else "-Infinity")


def clean(obj: Any) -> Any:
    """A user-written structure (config, summary) with its non-finite floats spelled out."""
    if isinstance(obj, float):
        return num(obj)
    if isinstance(obj, dict):
        return {k: clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [clean(v) for v in obj]
    return obj


def column(values: npt.NDArray[Any]) -> npt.NDArray[Any] | list[Any]:
    """A numpy column as JSON: the array itself when every value is finite (orjson writes it
    natively, fast), else a list with the non-finite values spelled out."""
    arr = np.ascontiguousarray(values)
    if arr.dtype.kind != "f" or bool(np.isfinite(arr).all()):
        return arr
    return [num(v) for v in arr.tolist()]


def parse_num(v: Any) -> float:
    """The inverse of `num` for incoming bodies: "NaN"/"Infinity"/"-Infinity" or a number."""
    if isinstance(v, str):
        if v in ("NaN", "Infinity", "-Infinity"):
            return float(v.replace("Infinity", "inf"))
        raise ValueError(f"expected a number or 'NaN'/'Infinity'/'-Infinity', got {v!r}")
    if v is None:
        return math.nan
    return float(v)
