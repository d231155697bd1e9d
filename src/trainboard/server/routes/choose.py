"""Choosing a run: the Compare recommendation's "mark as chosen" (and its undo). A chosen run
is flagged on the Runs page, shows in `trainboard ls --json`, and is never archived as one of
the losers (trainboard.analysis.compare.runs_worse_than, Compare's "archive the others")."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from trainboard.server.deps import api_router, get_store
from trainboard.server.jsonio import json_response
from trainboard.store.base import Store

choose_router = api_router(tags=["runs"])

StoreDep = Annotated[Store, Depends(get_store)]


class ChooseIn(BaseModel):
    ids: list[str] = Field(min_length=1, description="run ids")
    chosen: bool = Field(True, description="false takes the choice back")


class ChosenOut(BaseModel):
    chosen: int


@choose_router.post("/runs/choose", response_class=Response, responses={200: {"model": ChosenOut}})
def choose(body: ChooseIn, store: StoreDep, request: Request) -> Response:
    ids = list(dict.fromkeys(body.ids))
    for run_id in ids:
        store.get_run(run_id)  # a 404 naming the id before anything changes
    for run_id in ids:
        store.update_run(run_id, chosen=body.chosen)
    request.app.state.events.runs_changed(ids)
    return json_response({"chosen": len(ids)})
