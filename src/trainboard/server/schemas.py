"""`…Out` models shared by several routes, for the OpenAPI schema (docs/api.md in types).

Routes answer with orjson bytes (see jsonio) and name these models in `responses=`, so the
schema documents the shapes without FastAPI re-validating large payloads. A float that may be
NaN or ±inf is `Num`: a number, or one of the strings "NaN", "Infinity", "-Infinity".
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from trainboard.jsonvalues import Spelled
from trainboard.store.records import Status

Num = float | Spelled


class MetricSummaryOut(BaseModel):
    count: int
    last: Num
    last_step: int
    min: Num
    min_step: int
    max: Num
    max_step: int
    first_time: float
    last_time: float


class ProgressOut(BaseModel):
    step: int | None
    total_steps: int | None
    percent: float | None
    elapsed_s: float | None
    eta_s: float | None
    steps_per_s: float | None
    tokens_per_s: float | None
    tokens: float | None
    batches: int | None
    loss: Num | None
    loss_key: str | None
    grad_norm: Num | None
    epoch: float | None
    status: str
    elapsed_text: str = Field(description='"1h 2m 5s": the one text of a duration, everywhere')
    eta_text: str
    tokens_text: str
    steps_per_s_text: str = Field(description='"1.92/s", as the Compare table reads it')
    tokens_per_s_text: str


class RoleOut(BaseModel):
    """What a metric key is (trainboard.roles; docs/metric_roles.md)."""

    role: str
    goal: Literal["min", "max"] | None
    split: Literal["train", "eval"] | None
    explicit: bool = Field(description="set by define_metric(), not inferred from the name")
    text: str = Field(description='the role in words: "eval loss", "grad norm"')
    group: str = Field(description="keys with the same group share a chart")
    section: str = Field(description="the Run page section the chart sits in")
    section_rank: int = Field(description="the section's place on the Run page, 0 first")


class KeysByRoleOut(BaseModel):
    """A run's keys by role (trainboard.roles.run_keys): the one answer progress, the figures
    and the UI read; null / empty where the run has none."""

    train_loss: str | None
    eval_loss: str | None
    grad_norm: str | None
    learning_rate: str | None
    tokens: str | None
    epoch: str | None
    batches: str | None
    perplexity: list[str] = Field(description="train first")
    accuracy: list[str] = Field(description="quality metrics where higher is better, eval first")
    step_time: str | None
    throughput: str | None


class RunOut(BaseModel):
    id: str
    name: str
    project: str
    model: str | None
    status: Status
    archived: bool
    chosen: bool = Field(description="a person marked it as the run they chose")
    tags: list[str]
    config: dict[str, Any] = Field(
        default_factory=dict, description="left out by GET /runs?fields=row"
    )
    total_steps: int | None
    last_step: int | None
    created_at: float
    finished_at: float | None
    heartbeat_at: float | None
    host: str | None
    pid: int | None
    goals: dict[str, str] = Field(
        description='define_metric() choices per key: "min", "max", a role, or "role:goal"'
    )
    notes: str | None
    duration_s: float | None
    summary: dict[str, MetricSummaryOut] = Field(
        default_factory=dict, description="left out by GET /runs?fields=row"
    )
    progress: ProgressOut | None
    current_loss: Num | None
    best_eval_loss: Num | None = Field(
        description="the run's value of its group's measure (best_label), from its own key "
        "for it (eval_key); an eval loss only when best_label says so"
    )
    eval_key: str | None = Field(description="the run's own key for its group's measure")
    best_label: str | None = Field(
        description='the measure the run\'s group is ranked on: "eval loss", "train loss", '
        '"eval accuracy"'
    )
    best_text: str = Field(description='best_eval_loss as text; "none" when best_note says why')
    best_note: str | None = Field(
        default=None,
        description='why the run has no value: "no eval loss logged (logged: loss, lr)"',
    )
    delta_text: str = Field(
        description='delta_to_best_pct as text: "+35.2%", "+12.0% so far" while running, "—"'
    )
    roles: dict[str, RoleOut] = Field(
        default_factory=dict, description="every key's role; left out by GET /runs?fields=row"
    )
    keys_by_role: KeysByRoleOut | None = Field(
        default=None, description="the run's keys by role; left out by GET /runs?fields=row"
    )
    colors: dict[str, str] = Field(
        default_factory=dict,
        description="each key's colour on the run's charts, train and eval splits apart "
        "(analysis/colors.py); left out by GET /runs?fields=row",
    )
    group_best: bool
    delta_to_best_pct: Num | None


class FindingOut(BaseModel):
    check: str
    severity: str
    saw: str
    try_: str = Field(alias="try")


class HealthOut(BaseModel):
    verdict: Literal["healthy", "warning", "critical"]
    findings: list[FindingOut]
    summary: str


class ErrorDetailOut(BaseModel):
    status: int
    code: str
    message: str
    run_id: str | None = None  # only with code run_not_found: the id that was asked for


class ErrorOut(BaseModel):
    error: ErrorDetailOut


ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut, "description": "bad request (names the parameter)"},
    401: {"model": ErrorOut, "description": "token missing or wrong"},
    404: {"model": ErrorOut, "description": "no such run or resource"},
}


# --- compare (analysis.compare.Comparison.to_json) -----------------------------------------


class ComparedRunOut(BaseModel):
    """One run's column of the comparison table (analysis.table.ComparedRun)."""

    id: str
    name: str
    project: str
    model: str | None
    status: Status
    archived: bool
    chosen: bool = Field(description="a person marked it as the one they chose")
    created_at: float
    index: int = Field(description="position in the selection: the run's colour everywhere")
    rank: int | None = Field(description="1 = best; null without a finite value")
    best_value: Num | None
    best_step: int | None
    best_epoch: Num | None
    total_epochs: Num | None
    total_steps: int | None
    best_at: str
    last_step: int | None
    stopped_improving: bool | None
    delta_pct: Num | None = Field(description="percent worse than the best run (the one base)")
    final_train_loss: Num | None
    final_perplexity: Num | None
    duration_s: Num | None
    steps_per_s: Num | None
    tokens_per_s: Num | None
    tokens: Num | None
    gpu_util: Num | None
    gpu_mem_gb: Num | None = Field(None, description="peak memory of its busiest GPU, GB")
    gpu_mem_pct: Num | None = Field(None, description="peak memory of its busiest GPU, %")
    trophy: bool
    warning: bool = Field(description="over the threshold; never for a running run")
    so_far: str | None = Field(description='a running run: "so far, at step N of M"')
    can_archive: bool = Field(description="false while running")
    archive_note: str | None = Field(description="why it cannot be archived or deleted yet")
    key: str | None = Field(description="the run's own key for the measure compared on")
    note: str | None = Field(description="why the run has no value (it logged no key for it)")
    text: dict[str, str] = Field(description="each table field as the server formats it")


class CompareRowOut(BaseModel):
    key: str
    label: str
    goal: Literal["min", "max"] | None
    best: list[str]


class RecommendationOut(BaseModel):
    run: str | None
    reasons: list[str]
    text: str


class AssociationOut(BaseModel):
    key: str
    kind: Literal["numeric", "categorical"]
    n: int = Field(description="runs the association rests on")
    text: str
    rho: Num | None
    means: dict[str, Num]
    best: Any


class ConfigDiffOut(BaseModel):
    params: dict[str, dict[str, Any]]
    same: int
    associations: list[AssociationOut]
    note: str | None


class TrendPointOut(BaseModel):
    id: str
    name: str
    created_at: float
    value: Num | None
    best_so_far: Num | None
    new_best: bool


class TrendOut(BaseModel):
    model: str | None
    group: str = Field(description='the model, or "<project> (no model)"')
    metric: str | None
    goal: Literal["min", "max"]
    points: list[TrendPointOut]
    verdict: Literal["improving", "flat", "getting worse", "not enough runs"]
    change_pct: Num | None
    text: str


class MeasureOut(BaseModel):
    id: str = Field(description='what --metric takes: "eval_loss", "eval_accuracy"')
    text: str


class CompareOut(BaseModel):
    """The comparison (`trainboard compare --json`), computed by trainboard.analysis.compare."""

    metric: str | None = Field(
        description='the measure compared on, by its id: "eval_loss", "eval_accuracy", or a '
        "key that is its own measure"
    )
    metric_text: str | None = Field(description='how the measure reads: "eval loss"')
    goal: Literal["min", "max"]
    best: str | None
    threshold_pct: float
    runs: list[ComparedRunOut] = Field(description="best first, then worse, then no value")
    rows: list[CompareRowOut]
    recommendation: RecommendationOut
    config_diff: ConfigDiffOut
    models: list[str | None]
    keys: list[str]
    measures: list[MeasureOut] = Field(description="the measures the runs can be compared on")
    roles: dict[str, RoleOut]
    x_keys: list[str] = Field(
        description="metrics the curves can be drawn against: keys no run saw decrease"
    )
    train_loss_key: str | None = Field(description="the train loss measure's id")
    trends: list[TrendOut]
