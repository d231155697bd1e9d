"""Control of a running run: POST /runs/{id}/stop (the Run page's Stop button).

On a team server it needs a token with write scope (server/security.py), like logging does,
and, as every change of a run, that token must be the run's owner or an admin
(server/ownership.py); the request is audited."""

from __future__ import annotations

from fastapi import Request
from pydantic import BaseModel, Field

from trainboard.analysis.control import request_stop
from trainboard.server.deps import StoreDep, api_router, who_sent
from trainboard.store.sql import tokens

control_router = api_router(tags=["runs"])


class StopOut(BaseModel):
    id: str
    asked: bool = Field(description="True: the run sees the request within about 2 s")
    by: str


@control_router.post("/runs/{run_id}/stop", response_model=StopOut)
def stop_run(run_id: str, store: StoreDep, request: Request) -> StopOut:
    """Ask a running run to stop: `run.should_stop` turns True in the training process (HF and
    Lightning end training; `init(stop="raise")` raises at the next log()), and the run ends
    as "stopped". 400 when the run is not running."""
    who = who_sent(request)
    store.get_run(run_id)  # 404 before 403: an unknown run is not a forbidden one
    request.app.state.owners.check_change(run_id, who)
    run = request_stop(store, run_id, by=who.actor)
    if who.with_token:
        tokens.record(store, "stop", [run.id], who.actor)
    return StopOut(id=run.id, asked=True, by=who.actor)
