"""Runs: the list (filters, search, paging), one run in detail, and the bulk actions
(archive, unarchive, delete with confirmation)."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Annotated, Any, Literal

from fastapi import Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from trainboard import gcpause
from trainboard.analysis.rank import group_peers
from trainboard.analysis.rundoc import run_detail_json, runs_json
from trainboard.errors import ConfirmationRequiredError, UsageError
from trainboard.server.deps import StoreDep, actor, api_router
from trainboard.server.jsonio import dumps, json_response
from trainboard.server.routes.runextras import EventOut
from trainboard.server.runfilters import RunFilters
from trainboard.server.schemas import HealthOut, RunOut
from trainboard.store.base import Store
from trainboard.store.queries import RunQuery, RunSort
from trainboard.store.sql import tokens
from trainboard.store.sql.store import SQLStore

runs_router = api_router(tags=["runs"])


COUNT_CAP = 10_000
"""Past this many matching runs, a filter the kept counts cannot answer (name search, tag)
is counted as "more than COUNT_CAP" (total_exact false), not by reading every match."""


class RunsOut(BaseModel):
    total: int = Field(description="how many runs match; a lower bound when total_exact is false")
    total_exact: bool = Field(
        True,
        description="false when more runs match than were counted (a name search or tag "
        'filter matching more than 10,000 runs): show total as a lower bound ("10,000+")',
    )
    runs: list[RunOut]


def page_total(store: Store, query: RunQuery, offset: int, exact: bool) -> tuple[int, bool]:
    """(total, exact) for a page at `offset` of `query`: the kept counts where the filters
    allow; else counted up to past the page (at least COUNT_CAP), so a deep page still says
    how far the list goes; with `exact`, a count of every match."""
    if exact:
        return store.count_runs(query), True
    return store.count_runs_upto(query, max(COUNT_CAP, offset + (query.limit or 100)))


class RunDetailOut(BaseModel):
    run: RunOut
    health: HealthOut
    keys: list[str]
    x_keys: list[str] = Field(
        description="the metrics its curves can be drawn against: keys that never decrease"
    )
    run_summary: dict[str, Any] = Field(
        description="the run's own summary dict (wandb's run.summary); NaN/±inf spelled"
    )
    events: list[EventOut] = Field(description="alerts and other run events, oldest first")


class IdsIn(BaseModel):
    ids: list[str] = Field(min_length=1, description="run ids")


class DeleteIn(IdsIn):
    confirm: bool = Field(False, description="must be true: deleting runs cannot be undone")


class ArchivedOut(BaseModel):
    archived: int


class UnarchivedOut(BaseModel):
    unarchived: int


class DeletedOut(BaseModel):
    deleted: int


def _cursor(after: str | None) -> tuple[float, str] | None:
    """`after=CREATED_AT,ID` as RunQuery.after; a 400 naming it when it is not that."""
    if not after:
        return None
    created, _, rid = after.partition(",")
    try:
        at = float(created)
    except ValueError:
        at = math.nan
    if not rid or not math.isfinite(at):
        raise UsageError(f"after must be CREATED_AT,ID of a run (from a page), got {after!r}")
    return at, rid


@runs_router.get("/runs", response_class=Response, responses={200: {"model": RunsOut}})
def list_runs(
    store: StoreDep,
    filters: RunFilters,
    sort: RunSort = "created",
    fields: Literal["all", "row"] = "all",
    id_prefix: str | None = None,
    after: Annotated[
        str | None, Query(description="keyset paging: CREATED_AT,ID of the last run seen")
    ] = None,
    exact: Annotated[
        bool, Query(description="count every match even past 10,000 (Api().runs().count())")
    ] = False,
) -> Response:
    """Runs newest first (or by model, then newest first), with progress and their standing
    in their model group among every run that matches the filters, not only this page."""
    query = replace(filters, sort=sort, id_prefix=id_prefix or None, after=_cursor(after))
    limit, offset = filters.limit or 100, filters.offset
    with gcpause.paused():
        runs = store.list_runs(query)
        every = replace(query, after=None)  # what the count and the ranking are over
        short_page = len(runs) < limit and (runs or offset == 0) and after is None
        total, total_exact = (
            (len(runs) + offset, True) if short_page else page_total(store, every, offset, exact)
        )
        peers = None
        if len(runs) < total or not total_exact:  # a page: rank against the rest of the groups
            peers = group_peers(store, every, runs)
        out = runs_json(runs, peers, row=fields == "row")
        content = dumps({"total": total, "total_exact": total_exact, "runs": out})
    return Response(content, media_type="application/json")


class FacetsOut(BaseModel):
    total: int = Field(description="runs the filters match")
    project: dict[str, int] = Field(description="of those, how many per project")
    status: dict[str, int] = Field(description="of those, how many per status")
    model: dict[str, int] = Field(
        description='of those, how many per model; runs without a model under ""'
    )


@runs_router.get("/facets")
def run_facets(store: StoreDep, filters: RunFilters) -> FacetsOut:
    """How many runs the filters match (the same filters as /runs; limit and offset are
    ignored), per project, status and model: exact, one GROUP BY over an index."""
    f = store.facet_runs(filters)
    model = {m or "": n for m, n in f.model.items()}
    return FacetsOut(total=f.total, project=f.project, status=f.status, model=model)


@runs_router.get(
    "/runs/{run_id}", response_class=Response, responses={200: {"model": RunDetailOut}}
)
def get_run(run_id: str, store: StoreDep) -> Response:
    """One run: the run (ranked within its model group), its health, its metric keys."""
    return json_response(run_detail_json(store, store.get_run(run_id)))


def _changed(
    request: Request, ids: list[str], action: str, owners: dict[str, str | None] | None = None
) -> None:
    """Tell live pages (`owners`: the runs' projects, where they can no longer be read), and
    keep who did it (the token's name) in the store's audit table."""
    request.app.state.events.runs_changed(ids, owners)
    store = request.app.state.store
    if isinstance(store, SQLStore):
        tokens.record(store, action, list(dict.fromkeys(ids)), actor(request))


@runs_router.post("/runs/archive", response_class=Response, responses={200: {"model": ArchivedOut}})
def archive(body: IdsIn, store: StoreDep, request: Request) -> Response:
    n = store.set_archived(body.ids, True)
    _changed(request, body.ids, "archive")
    return json_response({"archived": n})


@runs_router.post(
    "/runs/unarchive", response_class=Response, responses={200: {"model": UnarchivedOut}}
)
def unarchive(body: IdsIn, store: StoreDep, request: Request) -> Response:
    n = store.set_archived(body.ids, False)
    _changed(request, body.ids, "unarchive")
    return json_response({"unarchived": n})


@runs_router.post("/runs/delete", response_class=Response, responses={200: {"model": DeletedOut}})
def delete(body: DeleteIn, store: StoreDep, request: Request) -> Response:
    """Delete runs and everything of theirs; refuses unless the body says `"confirm": true`."""
    if body.confirm is not True:
        raise ConfirmationRequiredError(
            f'deleting {len(body.ids)} run(s) cannot be undone: send "confirm": true to do it'
        )
    owners: dict[str, str | None] = {}
    for run_id in body.ids:
        # a 404 naming the id before anything is deleted; the project tells live pages
        owners[run_id] = store.get_run(run_id).project
    n = store.delete_runs(body.ids)
    _changed(request, body.ids, "delete", owners)
    return json_response({"deleted": n})
