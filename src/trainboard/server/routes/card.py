"""A run's fuller progress card (trainboard.analysis.card): GPU, loss trend (told with the
health verdict it carries), checkpoint marks and estimated cost, beside the progress of
GET /runs/{id}."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Depends
from fastapi.responses import Response
from pydantic import BaseModel

from trainboard.analysis.card import card_for
from trainboard.analysis.progress import progress_for
from trainboard.server.deps import api_router, get_store
from trainboard.server.jsonio import json_response
from trainboard.store.base import Store

card_router = api_router(tags=["runs"])

StoreDep = Annotated[Store, Depends(get_store)]


class CheckpointOut(BaseModel):
    step: int
    percent: float | None
    name: str


class CardOut(BaseModel):
    gpu_util_pct: float | None
    gpu_mem_gb: float | None
    gpu_mem_pct: float | None
    gpus: int
    trend: Literal["improving", "flat", "worsening", "not_finite"] | None
    trend_key: str | None
    trend_label: str
    trend_text: str
    verdict: Literal["healthy", "warning", "critical"] | None
    verdict_text: str
    checkpoints: list[CheckpointOut]
    price_per_hour: float | None
    cost_so_far: float | None
    cost_at_eta: float | None
    cost_text: str


@card_router.get(
    "/runs/{run_id}/card", response_class=Response, responses={200: {"model": CardOut}}
)
def run_card(run_id: str, store: StoreDep) -> Response:
    run = store.get_run(run_id)
    return json_response(card_for(store, run, progress_for(store, run)).to_json())
