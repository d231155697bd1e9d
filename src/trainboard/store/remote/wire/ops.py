"""The server's half of the wire: a pydantic model for each op, so one malformed op is refused
on its own (a UsageError naming the op and the field) and never reaches the store. Steps are
int64, values numbers or the NaN/Infinity spellings, strings what every store can keep
(trainboard.limits)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from trainboard.errors import UsageError
from trainboard.jsonvalues import Spelled, parse
from trainboard.limits import INT32_MAX, INT64_MAX, key_problem, text_problem
from trainboard.store.records import (
    EVENT_LEVELS,
    STATUSES,
    UPDATABLE,
    HistogramRecord,
    PointBatch,
    ValueNamespace,
)
from trainboard.store.remote.wire.media import MediaOp
from trainboard.store.remote.wire.points import json_batch, packed_group, rows_batch

WIRE_UPDATABLE = UPDATABLE - {"archived", "chosen"}
"""Fields an update_run op may set: the store's list, less `archived` and `chosen`, which are
admin actions with their own routes (POST /runs/archive), not something a training token may
do."""


def _text(v: str) -> str:
    problem = text_problem(v)
    if problem is not None:
        raise ValueError(f"the string {v[:40]!r} {problem}")
    return v


def _key(v: str) -> str:
    problem = key_problem(v) if v else "is empty"
    if problem is not None:
        raise ValueError(f"the key {v[:40]!r} {problem}")
    return v


Text = Annotated[str, Field(strict=True)]
Step = Annotated[int, Field(strict=True, ge=0, le=INT64_MAX)]
Number = float | Spelled | None


class _Op(BaseModel):
    model_config = ConfigDict(extra="forbid")
    run: Text

    @field_validator("run")
    @classmethod
    def _run_id(cls, v: str) -> str:
        return _key(v)


class RunIn(BaseModel):
    """A RunRecord as create_run sends it."""

    model_config = ConfigDict(extra="forbid")
    id: Text
    project: Text
    name: Text
    model: Text | None = None
    status: Literal[STATUSES] = "running"  # type: ignore[valid-type]
    archived: bool = False
    chosen: bool = False
    config: dict[str, Any] = {}
    tags: list[Text] = []
    total_steps: Annotated[int, Field(strict=True, ge=0, le=INT64_MAX)] | None = None
    created_at: float = 0.0
    finished_at: float | None = None
    heartbeat_at: float | None = None
    host: Text | None = None
    pid: Annotated[int, Field(strict=True, ge=-INT32_MAX - 1, le=INT32_MAX)] | None = None
    last_step: Step | None = None
    goals: dict[Text, Literal["min", "max"]] = {}
    notes: Text | None = None

    @field_validator("id", "project", "name", "model")
    @classmethod
    def _keys(cls, v: str | None) -> str | None:
        return None if v is None else _key(v)

    @field_validator("host", "notes")
    @classmethod
    def _texts(cls, v: str | None) -> str | None:
        return None if v is None else _text(v)

    @field_validator("tags")
    @classmethod
    def _tags(cls, v: list[str]) -> list[str]:
        return [_key(t) for t in v]


class CreateRunOp(BaseModel):
    model_config = ConfigDict(extra="forbid")
    op: Literal["create_run"]
    run: RunIn


class UpdateRunOp(_Op):
    op: Literal["update_run"]
    fields: dict[str, Any]

    @field_validator("fields")
    @classmethod
    def _fields(cls, v: dict[str, Any]) -> dict[str, Any]:
        bad = sorted(set(v) - WIRE_UPDATABLE)
        if bad:
            raise ValueError(
                f"field(s) {bad} cannot be set (allowed: {', '.join(sorted(WIRE_UPDATABLE))})"
            )
        checked = RunIn.model_validate({"id": "x", "project": "x", "name": "x", **v})
        return {k: getattr(checked, k) for k in v}


class ColumnsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    steps: list[Any]
    times: list[Any]
    values: list[Any]


class PackedIn(BaseModel):
    """Keys logged at the same steps and times: base64 of little-endian int64 steps and
    float64 times, and of each key's float64 values."""

    model_config = ConfigDict(extra="forbid")
    steps: Text
    times: Text
    values: dict[str, Text]


class PointsOp(_Op):
    op: Literal["points"]
    packed: list[PackedIn] | None = None  # what the SDK sends
    columns: dict[str, ColumnsIn] | None = None  # JSON numbers (hand-written clients)
    batches: dict[str, list[Any]] | None = None  # the row form of earlier clients
    _checked: dict[str, PointBatch] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _check(self) -> PointsOp:
        """The columns as PointBatches, checked with numpy (errors become this op's error)."""
        out = self._checked
        for group in self.packed or []:
            for key in group.values:
                _key(key)
            out.update(packed_group(group.steps, group.times, group.values))
        for key, col in (self.columns or {}).items():
            out[_key(key)] = json_batch(key, col.steps, col.times, col.values)
        for key, rows in (self.batches or {}).items():
            out[_key(key)] = rows_batch(key, rows)
        return self

    def point_batches(self) -> dict[str, PointBatch]:
        return self._checked


class TextIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: Text
    step: Step
    wall_time: float
    text: Text

    @field_validator("key")
    @classmethod
    def _k(cls, v: str) -> str:
        return _key(v)

    @field_validator("text")
    @classmethod
    def _t(cls, v: str) -> str:
        return _text(v)


class TextsOp(_Op):
    op: Literal["texts"]
    rows: list[TextIn]


class HistogramIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: Text
    step: Step
    wall_time: float
    edges: list[Number]
    counts: list[float]
    min: Number
    max: Number
    count: Annotated[int, Field(strict=True, ge=0, le=INT64_MAX)]
    sum: Number

    @field_validator("key")
    @classmethod
    def _k(cls, v: str) -> str:
        return _key(v)

    def record(self) -> HistogramRecord:
        return HistogramRecord(
            self.key,
            self.step,
            self.wall_time,
            [parse(e) for e in self.edges],
            list(self.counts),
            parse(self.min),
            parse(self.max),
            self.count,
            parse(self.sum),
        )


class HistogramsOp(_Op):
    op: Literal["histograms"]
    rows: list[HistogramIn]


class ArtifactIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Text
    kind: Text
    step: Step | None = None
    path: Text
    size: Annotated[int, Field(strict=True, ge=0, le=INT64_MAX)]
    wall_time: float
    id: int | None = None

    @field_validator("name", "kind", "path")
    @classmethod
    def _k(cls, v: str) -> str:
        return _key(v)


class ArtifactOp(_Op):
    op: Literal["artifact"]
    artifact: ArtifactIn


class RunValuesOp(_Op):
    op: Literal["run_values"]
    namespace: ValueNamespace
    values: dict[str, Any]

    @field_validator("values")
    @classmethod
    def _keys(cls, v: dict[str, Any]) -> dict[str, Any]:
        for key in v:
            _key(key)
        return v


class EventIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Text
    title: Text
    text: Text
    level: Literal[EVENT_LEVELS]  # type: ignore[valid-type]
    wall_time: float
    step: Step | None = None
    id: int | None = None

    @field_validator("kind", "title", "text")
    @classmethod
    def _t(cls, v: str) -> str:
        return _text(v)


class EventsOp(_Op):
    op: Literal["events"]
    rows: list[EventIn]


AnyOp = (
    MediaOp
    | CreateRunOp
    | UpdateRunOp
    | PointsOp
    | TextsOp
    | HistogramsOp
    | ArtifactOp
    | RunValuesOp
    | EventsOp
)
Op = Annotated[AnyOp, Field(discriminator="op")]


class _Envelope(BaseModel):
    op: Op


def parse_op(raw: Any) -> AnyOp:
    """One op, checked; UsageError naming what was wrong otherwise."""
    kind = raw.get("op") if isinstance(raw, dict) else None
    try:
        return _Envelope.model_validate({"op": raw}).op
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(p) for p in first["loc"][2:]) or "op"
        msg = str(first["msg"]).removeprefix("Value error, ")
        raise UsageError(f"op {kind!r}: {where}: {msg}") from None
