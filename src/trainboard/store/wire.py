"""The remote wire protocol, in one place: how RemoteStore encodes each write as an op, and how
the ingest route checks and applies it.

A batch is `{"client": ID, "seq": N, "ops": [...]}` (op i has sequence number N + i). Ops:

    {"op": "create_run", "run": {RunRecord fields but summary}}
    {"op": "update_run", "run": ID, "fields": {field: value}}      fields: UPDATABLE
    {"op": "points", "run": ID, "columns": {key: {"steps": [...], "times": [...],
                                                 "values": [...]}}}
    {"op": "texts", "run": ID, "rows": [{key, step, wall_time, text}]}
    {"op": "histograms", "run": ID, "rows": [{key, step, wall_time, edges, counts, min, max,
                                             count, sum}]}
    {"op": "artifact", "run": ID, "artifact": {name, kind, step, path, size, wall_time, id}}
    {"op": "run_values", "run": ID, "namespace": "summary"|"import", "values": {key: JSON}}
    {"op": "events", "run": ID, "rows": [{kind, title, text, level, wall_time, step, id}]}

Points travel as columns (a third of the bytes of [step, time, value] rows, and checked with
numpy rather than per point); the row form `"batches": {key: [[step, time, value], ...]}` of
earlier clients is still read, so an old spool drains. NaN and ±inf travel as "NaN",
"Infinity", "-Infinity" (trainboard.jsonvalues). Every op is checked by a pydantic model
(`parse_op`): steps are int64, values numbers or those spellings, strings what a store can keep,
so one malformed op is refused on its own and never reaches the store.
"""

from __future__ import annotations

import math
from dataclasses import fields as dataclass_fields
from typing import Annotated, Any, Literal

import numpy as np
import orjson
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from trainboard.errors import RunNotFoundError, UsageError
from trainboard.jsonvalues import SPELLINGS, parse, spell, spell_all
from trainboard.limits import INT32_MAX, INT64_MAX, key_problem, text_problem
from trainboard.store.base import Store
from trainboard.store.records import (
    EVENT_LEVELS,
    STATUSES,
    UPDATABLE,
    VALUE_NAMESPACES,
    ArtifactRecord,
    EventRecord,
    HistogramRecord,
    PointBatch,
    RunRecord,
    TextRecord,
)

WIRE_UPDATABLE = UPDATABLE - {"archived", "chosen"}
"""Fields an update_run op may set: the store's list, less `archived`, which is an admin
action with its own route (POST /runs/archive), not something a training token may do."""

RUN_FIELDS = tuple(f.name for f in dataclass_fields(RunRecord) if f.name != "summary")

# --- encoding (the client) ----------------------------------------------------------------


def _finite_list(values: np.ndarray[Any, Any]) -> list[Any]:
    out: list[Any] = values.tolist()
    if not np.isfinite(values).all():
        out = [spell(v) for v in out]
    return out


def points_op(run_id: str, batches: dict[str, PointBatch]) -> bytes:
    columns = {
        key: {
            "steps": np.asarray(b.steps, dtype=np.int64).tolist(),
            "times": _finite_list(np.asarray(b.times, dtype=np.float64)),
            "values": _finite_list(np.asarray(b.values, dtype=np.float64)),
        }
        for key, b in batches.items()
    }
    return orjson.dumps({"op": "points", "run": run_id, "columns": columns})


def create_run_op(run: RunRecord) -> bytes:
    return orjson.dumps({"op": "create_run", "run": {k: getattr(run, k) for k in RUN_FIELDS}})


def update_run_op(run_id: str, fields: dict[str, Any]) -> bytes:
    return orjson.dumps({"op": "update_run", "run": run_id, "fields": fields})


def texts_op(run_id: str, rows: list[TextRecord]) -> bytes:
    return orjson.dumps({"op": "texts", "run": run_id, "rows": [r.__dict__ for r in rows]})


def histograms_op(run_id: str, rows: list[HistogramRecord]) -> bytes:
    out = []
    for r in rows:
        d = dict(r.__dict__)
        d["edges"] = [spell(float(v)) for v in r.edges]
        d["counts"] = [float(v) for v in r.counts]
        d["min"], d["max"], d["sum"] = spell(r.min), spell(r.max), spell(r.sum)
        out.append(d)
    return orjson.dumps({"op": "histograms", "run": run_id, "rows": out})


def artifact_op(run_id: str, artifact: ArtifactRecord) -> bytes:
    return orjson.dumps({"op": "artifact", "run": run_id, "artifact": artifact.__dict__})


def run_values_op(run_id: str, namespace: str, values: dict[str, Any]) -> bytes:
    body = {"op": "run_values", "run": run_id, "namespace": namespace, "values": values}
    return orjson.dumps(spell_all(body), option=orjson.OPT_SERIALIZE_NUMPY)


def events_op(run_id: str, rows: list[EventRecord]) -> bytes:
    return orjson.dumps({"op": "events", "run": run_id, "rows": [e.__dict__ for e in rows]})


# --- checking (the server) ----------------------------------------------------------------


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
Number = float | Literal["NaN", "Infinity", "-Infinity"] | None


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


class PointsOp(_Op):
    op: Literal["points"]
    columns: dict[str, ColumnsIn] | None = None
    batches: dict[str, list[Any]] | None = None  # the row form of earlier clients
    _checked: dict[str, PointBatch] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _check(self) -> PointsOp:
        """The columns as PointBatches, checked with numpy (errors become this op's error)."""
        out = self._checked
        for key, col in (self.columns or {}).items():
            out[_key(key)] = _batch(key, col.steps, col.times, col.values)
        for key, rows in (self.batches or {}).items():
            if not all(isinstance(r, list) and len(r) == 3 for r in rows):
                raise ValueError(f"points of {key!r}: each row must be [step, time, value]")
            steps, times, values = ([r[i] for r in rows] for i in range(3))
            out[_key(key)] = _batch(key, steps, times, values)
        return self

    def point_batches(self) -> dict[str, PointBatch]:
        return self._checked


def _numbers(key: str, what: str, raw: list[Any]) -> np.ndarray[Any, Any]:
    """Floats, where a str may only be one of the NaN/Infinity spellings (numpy alone would
    also read "1.5" or "inf")."""
    try:
        if not any(type(v) is str or type(v) is bool for v in raw):
            return np.array(raw, dtype=np.float64)
        return np.array([_number(v) for v in raw], dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise UsageError(f"points of {key!r}: {what}: {e}") from None


def _number(v: Any) -> float:
    if type(v) is bool:
        raise ValueError(f"expected a number, got {v!r}")
    return parse(v)


def _batch(key: str, steps: list[Any], times: list[Any], values: list[Any]) -> PointBatch:
    """Columns checked with numpy: steps int64 >= 0 (not floats, not bools), times finite
    numbers, values numbers or the NaN/Infinity spellings."""
    if not len(steps) == len(times) == len(values):
        raise UsageError(f"points of {key!r}: steps, times and values differ in length")
    arr = np.array(steps)
    if len(steps) and (arr.dtype.kind != "i" or any(type(s) is not int for s in steps[:1])):
        raise UsageError(f"points of {key!r}: steps must be integers in int64, got {arr.dtype}")
    s = arr.astype(np.int64, copy=False) if len(steps) else np.zeros(0, np.int64)
    if len(s) and int(s.min()) < 0:
        raise UsageError(f"points of {key!r}: steps must be >= 0, got {int(s.min())}")
    t = _numbers(key, "times", times)
    if not np.isfinite(t).all():
        raise UsageError(f"points of {key!r}: times must be finite numbers")
    v = _numbers(key, "values", values)
    return PointBatch(s, t, v)


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
    namespace: Literal[VALUE_NAMESPACES]  # type: ignore[valid-type]
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
    CreateRunOp
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


def apply_op(store: Store, raw: Any) -> None:
    """Check one op and apply it to the store; a malformed op raises UsageError."""
    op = parse_op(raw)
    if isinstance(op, CreateRunOp):
        run = RunRecord(**op.run.model_dump())
        try:
            store.get_run(run.id)
        except RunNotFoundError:
            store.create_run(run)
        # else: a retried create_run; the run exists already
    elif isinstance(op, UpdateRunOp):
        store.update_run(op.run, **op.fields)
    elif isinstance(op, PointsOp):
        store.write_points(op.run, op.point_batches())
    elif isinstance(op, TextsOp):
        store.write_texts(op.run, [TextRecord(**r.model_dump()) for r in op.rows])
    elif isinstance(op, HistogramsOp):
        store.write_histograms(op.run, [r.record() for r in op.rows])
    elif isinstance(op, RunValuesOp):
        store.write_run_values(op.run, op.namespace, op.values)
    elif isinstance(op, EventsOp):
        store.add_events(op.run, [EventRecord(**e.model_dump()) for e in op.rows])
    else:
        store.add_artifact(op.run, ArtifactRecord(**op.artifact.model_dump()))


def read_number(v: Any) -> float:
    """A number from a JSON answer: a float, a NaN/Infinity spelling, or null (NaN)."""
    if isinstance(v, str) and v in SPELLINGS:
        return parse(v)
    return math.nan if v is None else float(v)
