"""The runs table (the Runs page's HParams view): the same filters as GET /runs, sorted by any
column over every matching run (not one page), with the config and metric columns a person
added.

Columns: `name`, `project`, `model`, `status`, `created`, `duration`, `config.<dotted path>`
(a hyperparameter) and `metric.<key>` (the key's best value by its goal: lowest for a loss,
highest for an accuracy, the last value when the goal is unknown). The store pages and sorts
by creation time and by model itself; any other column is sorted here over the whole filtered
list, then cut into the page and ranked against every matching run of each model group, as
GET /runs does.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Annotated, Any

from fastapi import Depends
from fastapi.responses import Response
from pydantic import BaseModel

from trainboard import gcpause, roles
from trainboard.analysis.rank import group_peers
from trainboard.analysis.rundoc import runs_json
from trainboard.errors import UsageError
from trainboard.jsonvalues import spell
from trainboard.server.deps import api_router, get_store
from trainboard.server.jsonio import dumps
from trainboard.server.routes.runs import page_total
from trainboard.server.runfilters import RunFilters
from trainboard.server.schemas import RunOut
from trainboard.store.base import Store
from trainboard.store.configpaths import scalar_paths, scalar_value
from trainboard.store.records import RunRecord
from trainboard.store.sql import tablesort
from trainboard.store.sql.store import SQLStore

table_router = api_router(tags=["runs"])

StoreDep = Annotated[Store, Depends(get_store)]

_MAX_OFFERED = 200  # config/metric columns offered to the column picker


class RunsTableOut(BaseModel):
    total: int
    total_exact: bool = True  # false: total is a lower bound ("10,000+"), see GET /runs
    runs: list[RunOut]
    # run id -> column -> value (a number, a string, a bool, or null where the run has none)
    cells: dict[str, dict[str, Any]]
    # the config and metric columns any matching run has, for the column picker
    config_columns: list[str]
    metric_columns: list[str]


def _metric(run: RunRecord, key: str) -> float | None:
    s = run.summary.get(key)
    if s is None:
        return None
    goal = roles.goal_of(key, run.goals)
    return s.min if goal == "min" else s.max if goal == "max" else s.last


_PLAIN = ("name", "project", "model", "status", "created", "duration")


def check_column(column: str) -> None:
    """Refuse a column the table does not know, naming the ones it does."""
    if column in _PLAIN or column.startswith(("config.", "metric.")):
        return
    raise UsageError(
        f"unknown column {column!r}: use {', '.join(_PLAIN)}, config.<name> or metric.<key>"
    )


def cell(run: RunRecord, column: str, now: float) -> Any:
    """The value a column shows for a run (None where the run has none)."""
    if column.startswith("config."):
        return scalar_value(run.config, column.removeprefix("config."))
    if column.startswith("metric."):
        return _metric(run, column.removeprefix("metric."))
    if column == "duration":
        end = run.finished_at or run.heartbeat_at or now
        return max(0.0, end - run.created_at)
    if column == "created":
        return run.created_at
    return getattr(run, column)


def _sort_key(value: Any) -> tuple[int, float, str]:
    """Numbers (and booleans) before text; NaN with the missing values."""
    if isinstance(value, bool | int | float) and value == value:
        return (0, float(value), "")
    if isinstance(value, str):
        return (1, 0.0, value.casefold())
    return (2, 0.0, "")


def sort_runs(runs: list[RunRecord], column: str, desc: bool, group: bool) -> list[RunRecord]:
    """`runs` by `column` (missing values last either way), within model groups if `group`
    (models in name order, runs without a model last), the newest first among equals."""
    now = time.time()
    keyed = [(_sort_key(cell(r, column, now)), r) for r in runs]
    keyed.sort(key=lambda kr: -kr[1].created_at)
    present = [kr for kr in keyed if kr[0][0] < 2]
    missing = [kr for kr in keyed if kr[0][0] == 2]
    present.sort(key=lambda kr: kr[0], reverse=desc)
    ordered = [r for _, r in present + missing]
    if group:
        ordered.sort(key=lambda r: (r.model is None, r.model or ""))
    return ordered


@table_router.get("/table", response_class=Response, responses={200: {"model": RunsTableOut}})
def runs_table(
    store: StoreDep,
    filters: RunFilters,
    sort: str = "created",
    desc: bool = True,
    group: bool = False,
    columns: str = "",
) -> Response:
    """A page of runs sorted by `sort` over every matching run, with `columns` filled in."""
    wanted = [c for c in columns.split(",") if c]
    query = replace(filters, limit=None, offset=0)  # every matching run; the page is cut below
    limit, offset = filters.limit or 100, filters.offset
    for c in [sort, *wanted]:
        check_column(c)
    if isinstance(store, SQLStore):  # sorted and cut in SQL (store/sql/tablesort.py)
        with gcpause.paused():
            page_q = replace(query, limit=limit, offset=offset)
            page = tablesort.sorted_page(store.runs, page_q, sort, desc, group)
            total, total_exact = (
                (len(page) + offset, True)
                if len(page) < limit and page
                else page_total(store, page_q, offset, False)
            )
            peers = group_peers(store, query, page) if page else None
            out = runs_json(page, peers, row=True)
            now = time.time()
            cells = {r.id: {c: spell(cell(r, c, now)) for c in wanted} for r in page}
            config_cols, metric_cols = tablesort.offered_columns(store.runs, query)
            body = {
                "total": total,
                "total_exact": total_exact,
                "runs": out,
                "cells": cells,
                "config_columns": config_cols[:_MAX_OFFERED],
                "metric_columns": metric_cols[:_MAX_OFFERED],
            }
        return Response(dumps(body), media_type="application/json")
    with gcpause.paused():
        everything = store.list_runs(query)
        now = time.time()
        ordered = sort_runs(everything, sort, desc, group)
        page = ordered[offset : offset + limit]
        peers = group_peers(store, query, page) if page else None
        out = runs_json(page, peers, row=True)
        cells = {r.id: {c: spell(cell(r, c, now)) for c in wanted} for r in page}
        config_cols = sorted({k for r in everything for k in scalar_paths(r.config)})
        config_cols = config_cols[:_MAX_OFFERED]
        metric_cols = sorted({k for r in everything for k in r.summary})[:_MAX_OFFERED]
        body = {
            "total": len(everything),
            "runs": out,
            "cells": cells,
            "config_columns": config_cols,
            "metric_columns": metric_cols,
        }
    return Response(dumps(body), media_type="application/json")
