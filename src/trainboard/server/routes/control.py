"""Control of a running run: POST /runs/{id}/stop (the Run page's Stop button).

On a team server it needs a token with write scope (server/security.py), like logging does:
stopping a run is something its owner's training job would do itself."""

from __future__ import annotations

from fastapi import Request
from pydantic import BaseModel, Field

from trainboard.analysis.control import request_stop
from trainboard.server.deps import StoreDep, actor, api_router

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
    who = actor(request)
    run = request_stop(store, run_id, by=who)
    return StopOut(id=run.id, asked=True, by=who)
