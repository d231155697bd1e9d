"""Compare: which run won (issue #4). The JSON is `Comparison.to_json()`, the same object
`trainboard compare --json` prints; the exports are `trainboard.report.render` of it.
`/compare/series` gives the Compare page every run's curve of one key in one request (50 runs
would otherwise be 50 requests per chart), read through the series routes' own path; a key
some runs lack, or a measure's id ("eval_loss"), is each run's own key for that measure."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Query
from fastapi.responses import Response
from pydantic import BaseModel

from trainboard.analysis.compare import DEFAULT_THRESHOLD_PCT, Comparison, compare
from trainboard.analysis.tokenaxis import x_axis
from trainboard.errors import NotFoundError, UsageError
from trainboard.report import render
from trainboard.roles import parse_metric
from trainboard.server.deps import StoreDep, api_router
from trainboard.server.jsonio import json_response
from trainboard.server.routes.series import SeriesColumnsOut, XParam, key_columns
from trainboard.server.schemas import CompareOut
from trainboard.store.base import Store
from trainboard.store.records import RunRecord

compare_router = api_router(tags=["compare"])
RunsParam = Annotated[str, Query(description="comma-separated run ids, in selection order")]
MetricParam = Annotated[
    str | None,
    Query(
        description="deciding metric: a key or a role (eval_loss, train_loss, eval_accuracy, "
        "quality...), each run on its own key for it (default: eval loss, else train loss)"
    ),
]
ThresholdParam = Annotated[
    float, Query(ge=0, description="warn on runs more than this percent worse than the best")
]


class CompareSeriesOut(BaseModel):
    """One measure's curve per run, in selection order; null for a run that logged no key for
    it. `keys` names each run's own key (the one asked for where the run logged it)."""

    key: str
    x: str  # "step", "time", "tokens", or the metric the points are placed on
    series: dict[str, SeriesColumnsOut | None]
    keys: dict[str, str | None]


def _ids(runs: str) -> list[str]:
    ids = list(dict.fromkeys(i.strip() for i in runs.split(",") if i.strip()))
    if not ids:
        raise UsageError("query parameter 'runs': expected comma-separated run ids, got none")
    return ids


def _compare(store: Store, runs: str, metric: str | None, threshold: float) -> Comparison:
    return compare(store, _ids(runs), metric or None, threshold)


@compare_router.get("/compare", response_class=Response, responses={200: {"model": CompareOut}})
def get_compare(
    store: StoreDep,
    runs: RunsParam,
    metric: MetricParam = None,
    threshold: ThresholdParam = DEFAULT_THRESHOLD_PCT,
) -> Response:
    """Compare runs: best run, deltas, table rows, recommendation, config diff, trend."""
    return json_response(_compare(store, runs, metric, threshold).to_json())


@compare_router.get(
    "/compare/series", response_class=Response, responses={200: {"model": CompareSeriesOut}}
)
def get_compare_series(
    store: StoreDep,
    runs: RunsParam,
    key: Annotated[str, Query(description="the metric to overlay")],
    max_points: Annotated[int, Query(ge=2, le=100_000, description="per run")] = 1000,
    x: XParam = "step",
) -> Response:
    """Every run's downsampled series of `key` in one response (the Compare page's charts),
    with the same columns and x mapping as /runs/{id}/series."""
    records = [store.get_run(i) for i in _ids(runs)]  # an unknown id is a 404 naming it
    goals: dict[str, str] = {}
    for r in records:
        goals.update(r.goals)
    measure = parse_metric(key, [r.summary for r in records], goals)
    own = {r.id: measure.key_in(r.summary, r.goals) if measure else None for r in records}

    def one(run: RunRecord) -> dict[str, Any] | None:
        mine = own[run.id]
        if mine is None:
            return None
        axis = x_axis(store, run, x)  # None (x null) for a run without that metric
        return key_columns(store, run.id, mine, max_points=max_points, x=x, axis=axis)

    # one after another: threads measured no faster here (the reads hold the GIL enough)
    out = {r.id: one(r) for r in records}
    if all(v is None for v in out.values()):
        raise NotFoundError(f"none of the runs {', '.join(out)} has a metric {key!r}")
    return json_response({"key": key, "x": x, "series": out, "keys": own})


def _download(body: str, media: str, name: str) -> Response:
    return Response(
        body.encode(),
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


_EXPORTS = {
    "csv": "text/csv; charset=utf-8",
    "md": "text/markdown; charset=utf-8",
    "html": "text/html; charset=utf-8",
}


@compare_router.get("/compare.{fmt}", response_class=Response)
def get_compare_export(
    fmt: Literal["csv", "md", "html"],
    store: StoreDep,
    runs: RunsParam,
    metric: MetricParam = None,
    threshold: ThresholdParam = DEFAULT_THRESHOLD_PCT,
) -> Response:
    """The comparison as a download: the table as CSV (one row per run, best first), or a
    Markdown or self-contained HTML report."""
    c = _compare(store, runs, metric, threshold)
    return _download(render(c, fmt), _EXPORTS[fmt], f"comparison.{fmt}")
