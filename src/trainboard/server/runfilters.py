"""The run filters and paging that GET /runs and GET /table take, defined once.

Both routes declare `filters: RunFilters`; FastAPI reads the same eight query parameters for
each (project, model, status, tag, search, archived, limit, offset), documents them once in
the OpenAPI schema, and hands the route a RunQuery. `sort` stays with each route: /runs sorts
by a RunSort, /table by any column it offers.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Depends, Query

from trainboard.store.queries import RunQuery
from trainboard.store.records import Status

_ARCHIVED = {"false": False, "true": True, "all": None}


def run_filters(
    project: str | None = None,
    model: str | None = None,
    status: Status | None = None,
    tag: str | None = None,
    search: str | None = None,
    archived: Literal["false", "true", "all"] = "false",
    limit: Annotated[int, Query(ge=1, le=100_000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> RunQuery:
    return RunQuery(
        project=project,
        model=model,
        status=status,
        tag=tag,
        search=search,
        archived=_ARCHIVED[archived],
        limit=limit,
        offset=offset,
    )


RunFilters = Annotated[RunQuery, Depends(run_filters)]
