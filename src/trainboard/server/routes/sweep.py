"""The sweep view's data (GET /api/v1/sweep): a study or any set of runs as a hyperparameter
search, worked out by trainboard.analysis.sweep. The runs are `ids` when given, else every
run matching `project` / `tag` (not archived), newest first, at most MAX_RUNS."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel

from trainboard.analysis.sweep import build_sweep
from trainboard.errors import UsageError
from trainboard.jsonvalues import spell, spell_all
from trainboard.server.deps import api_router, get_store
from trainboard.server.jsonio import json_response
from trainboard.store.base import Store
from trainboard.store.queries import RunQuery

sweep_router = api_router(tags=["sweep"])

StoreDep = Annotated[Store, Depends(get_store)]
MAX_RUNS = 2000


class SweepParamOut(BaseModel):
    name: str
    kind: Literal["number", "category"]
    log: bool
    values: list[str]


class SweepRunOut(BaseModel):
    id: str
    name: str
    status: str
    created_at: float
    params: dict[str, Any]
    objective: float | str | None  # NaN / ±inf spelled as strings
    metrics: dict[str, float | str | None]


class SweepOut(BaseModel):
    metric: str | None
    goal: Literal["min", "max"]
    value: Literal["last", "best"]
    params: list[SweepParamOut]
    metrics: list[str]
    runs: list[SweepRunOut]
    best: str | None
    counts: dict[str, int]


def _list(raw: str | None) -> list[str]:
    return [p.strip() for p in (raw or "").split(",") if p.strip()]


@sweep_router.get("/sweep", response_class=Response, responses={200: {"model": SweepOut}})
def sweep(
    store: StoreDep,
    project: str | None = None,
    tag: str | None = None,
    ids: Annotated[str | None, Query(description="comma-separated run ids")] = None,
    metric: str | None = None,
    params: Annotated[str | None, Query(description="comma-separated config keys")] = None,
    value: Literal["last", "best"] = "last",
) -> Response:
    """A study (project / tag) or the runs `ids` as a sweep: parameters, objective, best."""
    run_ids = list(dict.fromkeys(_list(ids)))
    if run_ids:
        runs = [store.get_run(i) for i in run_ids[:MAX_RUNS]]
    elif project or tag:
        runs = store.list_runs(RunQuery(project=project, tag=tag, limit=MAX_RUNS))
    else:
        raise UsageError("sweep: give project=, tag= or ids= (the runs of one sweep)")
    s = build_sweep(runs, metric, _list(params) or None, value)
    doc = {
        "metric": s.metric,
        "goal": s.goal,
        "value": s.value,
        "params": [p.__dict__ for p in s.params],
        "metrics": s.metrics,
        "runs": [
            {
                **r.__dict__,
                "params": spell_all(r.params),
                "objective": spell(r.objective) if r.objective is not None else None,
                "metrics": {k: spell(v) if v is not None else None for k, v in r.metrics.items()},
            }
            for r in s.runs
        ],
        "best": s.best,
        "counts": s.counts,
    }
    return json_response(doc)
