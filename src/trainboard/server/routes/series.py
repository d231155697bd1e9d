"""Series: metric points for charts (downsampled, incremental) and one key's full CSV."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import Query
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel

from trainboard.analysis.tokenaxis import TokenAxis, tokens_at, x_axis
from trainboard.errors import NotFoundError
from trainboard.exporting import iter_series_csv
from trainboard.server.deps import StoreDep, api_router
from trainboard.server.jsonio import column, json_response
from trainboard.server.schemas import Num
from trainboard.store.base import Store
from trainboard.store.queries import XAxis
from trainboard.store.records import RunRecord, Series

series_router = api_router(tags=["series"])


class SeriesColumnsOut(BaseModel):
    steps: list[int]
    times: list[float]
    values: list[Num]
    x: list[float] | None
    total: int
    downsampled: bool


class SeriesOut(BaseModel):
    run: str
    x: str  # "step", "time", "tokens", or the metric the points are placed on
    series: dict[str, SeriesColumnsOut]


BUILTIN_X = ("step", "time", "tokens")
X_HELP = (
    "step, time, tokens, or a metric of the run that never decreases (epoch, iter, samples): "
    "each point is placed at that metric's value at its step"
)
XParam = Annotated[str, Query(description=X_HELP, min_length=1, max_length=512)]


def _check_keys(run: RunRecord, keys: list[str]) -> None:
    missing = [k for k in keys if k not in run.summary]
    if missing:
        names = ", ".join(repr(k) for k in missing)
        raise NotFoundError(f"run {run.id!r} has no metric {names}")


def _columns(s: Series, x: str, axis: TokenAxis | None) -> dict[str, Any]:
    if x == "step":
        xs: Any = s.steps
    elif x == "time":
        xs = s.times
    elif axis is None:
        xs = None
    else:
        xs = tokens_at(s.steps, axis)
    return {
        "steps": s.steps,
        "times": s.times,
        "values": column(s.values),
        "x": xs,
        "total": s.total,
        "downsampled": s.downsampled,
    }


def key_columns(
    store: Store,
    run_id: str,
    key: str,
    *,
    max_points: int | None,
    x: str,
    axis: TokenAxis | None,
    since: int | None = None,
    start: int | None = None,
    end: int | None = None,
    superseded: bool = False,
) -> dict[str, Any]:
    """One key's columns as the series routes send them (`axis` from `x_axis`): the one read
    path behind /runs/{id}/series and /compare/series."""
    bucket_x: XAxis = "time" if x == "time" else "step"
    s = store.read_series(
        run_id,
        key,
        max_points=max_points,
        x=bucket_x,
        since=since,
        start=start,
        end=end,
        superseded=superseded,
    )
    return _columns(s, x, axis)


@series_router.get(
    "/runs/{run_id}/series", response_class=Response, responses={200: {"model": SeriesOut}}
)
def read_series(
    run_id: str,
    store: StoreDep,
    keys: Annotated[str | None, Query(description="comma-separated; omitted = every key")] = None,
    max_points: Annotated[int | None, Query(ge=2, le=10_000_000)] = None,
    x: XParam = "step",
    since: int | None = None,
    start: Annotated[int | None, Query(description="first step (inclusive)")] = None,
    end: Annotated[int | None, Query(description="last step (inclusive)")] = None,
    superseded: Annotated[
        bool,
        Query(
            description="only the points of attempts that died, superseded when the run was "
            "resumed from an earlier checkpoint step (hidden otherwise; never deleted)"
        ),
    ] = False,
) -> Response:
    """Points per key: min/max per bucket plus the exact last point when `max_points` is set;
    only points after step `since` when given (the live page's incremental fetch), only
    steps in [start, end] when given. Points a resume from a checkpoint superseded are left
    out unless `superseded=true`, which returns only them."""
    run = store.get_run(run_id)
    wanted = [k for k in keys.split(",") if k] if keys else sorted(run.summary)
    _check_keys(run, wanted)
    if x not in BUILTIN_X:
        _check_keys(run, [x])
    axis = x_axis(store, run, x)
    out = {
        key: key_columns(
            store,
            run_id,
            key,
            max_points=max_points,
            x=x,
            axis=axis,
            since=since,
            start=start,
            end=end,
            superseded=superseded,
        )
        for key in wanted
    }
    return json_response({"run": run_id, "x": x, "series": out})


@series_router.get(
    "/runs/{run_id}/series.csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}, "description": "step,wall_time,value rows"}},
)
def series_csv(run_id: str, key: str, store: StoreDep) -> StreamingResponse:
    """One chart's data at full resolution (never only the drawn points)."""
    run = store.get_run(run_id)
    _check_keys(run, [key])
    filename = re.sub(r"[^A-Za-z0-9._-]+", "_", f"{run.name or run_id}-{key}")
    return StreamingResponse(
        iter_series_csv(store, run_id, key),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}.csv"'},
    )
