"""Histograms of a run over steps (weights, gradients)."""

from __future__ import annotations

from fastapi.responses import Response
from pydantic import BaseModel, Field

from trainboard.analysis.colors import metric_color
from trainboard.jsonvalues import spell_all
from trainboard.server.deps import StoreDep, api_router
from trainboard.server.jsonio import json_response
from trainboard.server.schemas import Num

histograms_router = api_router(tags=["histograms"])


class HistogramOut(BaseModel):
    key: str
    step: int
    wall_time: float
    edges: list[Num]
    counts: list[float]
    min: Num
    max: Num
    count: int
    sum: Num
    color: str = Field(description="the key's colour on the run's charts (analysis/colors.py)")


class HistogramsOut(BaseModel):
    histograms: list[HistogramOut]


@histograms_router.get(
    "/runs/{run_id}/histograms", response_class=Response, responses={200: {"model": HistogramsOut}}
)
def read_histograms(run_id: str, store: StoreDep, key: str | None = None) -> Response:
    store.get_run(run_id)
    rows = store.read_histograms(run_id, key=key or None)
    out = [{**spell_all(r.__dict__), "color": metric_color(r.key)} for r in rows]
    return json_response({"histograms": out})
