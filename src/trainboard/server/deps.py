"""What every API route shares: the app's store, and an APIRouter that rejects unknown query
parameters (see params.py) and documents the error shape."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from trainboard.server.ownership import Who
from trainboard.server.params import reject_unknown_query
from trainboard.server.schemas import ERRORS
from trainboard.store.base import Store
from trainboard.store.remote.wire import API as API  # the pages and the UI have every other path


def get_store(request: Request) -> Store:
    """The app's store; for a token limited to projects, a view of it that shows and
    changes only their runs (server/projectview.py)."""
    store: Store = request.app.state.store
    projects = getattr(request.state, "actor_projects", None)
    if projects is not None:
        from trainboard.server.projectview import ProjectView

        return ProjectView(store, who_sent(request))
    return store


StoreDep = Annotated[Store, Depends(get_store)]
"""The app's store, as a route parameter type."""


def actor(request: Request) -> str:
    """The name of the token the request came with ("local" on a server without tokens),
    set by server/security.py."""
    return str(getattr(request.state, "actor", "local"))


def who_sent(request: Request) -> Who:
    """The token (name and scope) the gate let the request in with (server/security.py)."""
    return Who(
        actor(request),
        str(getattr(request.state, "actor_scope", "admin")),
        getattr(request.state, "actor_projects", None),
    )


def api_router(**kwargs: Any) -> APIRouter:
    """An /api/v1 router: unknown query parameters are a 400, errors documented."""
    return APIRouter(dependencies=[Depends(reject_unknown_query)], responses=ERRORS, **kwargs)
