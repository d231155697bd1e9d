"""What every API route shares: the app's store, and an APIRouter that rejects unknown query
parameters (see params.py) and documents the error shape."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from trainboard.server.params import reject_unknown_query
from trainboard.server.schemas import ERRORS
from trainboard.store.base import Store


def get_store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def api_router(**kwargs: Any) -> APIRouter:
    """An /api/v1 router: unknown query parameters are a 400, errors documented."""
    return APIRouter(dependencies=[Depends(reject_unknown_query)], responses=ERRORS, **kwargs)
