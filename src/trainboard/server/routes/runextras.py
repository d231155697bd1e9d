"""A run's own summary dict and its events (alerts): what `wandb.summary[...] = v` and
`wandb.alert()` leave, read by the Run page (through GET /runs/{id}), `trainboard show` and a
RemoteStore."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Depends
from fastapi.responses import Response
from pydantic import BaseModel, Field

from trainboard.server.deps import api_router, get_store
from trainboard.server.jsonio import json_response
from trainboard.store.base import Store
from trainboard.store.records import EventRecord, ValueNamespace

runextras_router = api_router(tags=["runs"])


class EventOut(BaseModel):
    id: int | None
    kind: str = Field(description='"alert" for wandb.alert()')
    title: str
    text: str
    level: Literal["info", "warn", "error"]
    step: int | None
    wall_time: float


class EventsOut(BaseModel):
    events: list[EventOut]


class RunValuesOut(BaseModel):
    values: dict[str, Any] = Field(description="JSON values by key; NaN/±inf spelled")


def events_json(rows: list[EventRecord]) -> list[dict[str, Any]]:
    return [e.__dict__ for e in rows]


@runextras_router.get(
    "/runs/{run_id}/events", response_class=Response, responses={200: {"model": EventsOut}}
)
def read_events(run_id: str, store: Annotated[Store, Depends(get_store)]) -> Response:
    """The run's events (alerts), oldest first."""
    return json_response({"events": events_json(store.read_events(run_id))})


@runextras_router.get(
    "/runs/{run_id}/values/{namespace}",
    response_class=Response,
    responses={200: {"model": RunValuesOut}},
)
def read_values(
    run_id: str,
    namespace: ValueNamespace,
    store: Annotated[Store, Depends(get_store)],
) -> Response:
    """A run's named values by namespace (records.VALUE_NAMESPACES says what each holds)."""
    return json_response({"values": store.read_run_values(run_id, namespace)})
