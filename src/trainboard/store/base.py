"""The store contract: the one interface every engine (SQLite, PostgreSQL, remote) meets.

Keys and values
    A run has an id (12 lowercase hex chars, made by the SDK), and metrics named by flat
    slash keys ("train/loss"). A point is (step: int, wall_time: float seconds since the epoch,
    value: float). NaN and ±inf are legal values and come back bit-for-bit as stored.

Step order
    Points of one (run, key) come back sorted by step. When the same step was written twice
    (a run resumed from a checkpoint re-logs steps it had logged before the crash), the later
    write wins, so a resumed run continues on one timeline.

Storage shape
    Points are stored in compressed chunks per (run, key), not a row per point. Writers append
    to the tail chunk of a key until it is full. Run summaries (last, min, max, best step per
    metric, last step) are updated on every write so listing runs never scans points.

Downsampling
    `read_series(max_points=N)` splits the x range (step or wall time) into N/2 equal buckets
    and returns, per non-empty bucket, the point with the minimum value and the point with the
    maximum value (in x order), so spikes survive; the exact last point is always included.
    Non-finite values are always kept as their own points so a NaN is never averaged away.
    With `since=S` only points with step > S come back (incremental fetches), undownsampled
    unless more than `max_points` arrived.

Step ranges
    `read_series(start=A, end=B)` returns only points with A <= step <= B (either bound may be
    left out), downsampled over that range, and reads only the chunks whose step range
    overlaps it: "the value at step S" costs one chunk, not the whole series. `total` stays
    the count of points stored for the key.

Limits
    What no engine can hold is refused with a UsageError naming the field, before anything
    is written: NUL characters and lone surrogates in strings, keys over MAX_KEY_BYTES,
    steps and other integers outside int64. The rules live in store/limits.py, which the SDK
    imports to refuse the same values at the log() call.

Concurrency
    Several processes may write one store at once (one writer per run); none may fail with
    "database is locked" or lose points. Engines retry transient lock errors.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from trainboard.errors import UsageError
from trainboard.jsonvalues import spell
from trainboard.store.limits import check_int

# "pruned": a hyperparameter-search trial stopped early on purpose (Optuna's pruner)
Status = Literal["running", "finished", "failed", "killed", "crashed", "pruned"]
STATUSES: tuple[Status, ...] = ("running", "finished", "failed", "killed", "crashed", "pruned")
Goal = Literal["min", "max"]
XAxis = Literal["step", "time"]
RunSort = Literal["created", "model"]
RUN_SORTS: tuple[RunSort, ...] = ("created", "model")


@dataclass
class RunRecord:
    """One run as stored. `summary` maps metric key -> MetricSummary."""

    id: str
    project: str
    name: str
    model: str | None = None
    status: Status = "running"
    archived: bool = False
    config: dict[str, Any] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    total_steps: int | None = None
    created_at: float = 0.0
    finished_at: float | None = None
    heartbeat_at: float | None = None
    host: str | None = None
    pid: int | None = None
    last_step: int | None = None
    # define_metric() choices, key -> "min", "max", a role, or "role:goal" (trainboard.roles)
    goals: dict[str, str] = field(default_factory=dict)
    summary: dict[str, MetricSummary] = field(default_factory=dict)
    notes: str | None = None  # failure reason (exception text) or free text
    chosen: bool = False  # the run a person chose among its comparison (never archived as a loser)

    def to_json(self) -> dict[str, Any]:
        d = {k: v for k, v in self.__dict__.items() if k != "summary"}
        d["summary"] = {k: s.to_json() for k, s in self.summary.items()}
        return d


UPDATABLE = frozenset(
    {
        "status",
        "finished_at",
        "heartbeat_at",
        "total_steps",
        "config",
        "goals",
        "notes",
        "pid",
        "host",
        "name",
        "tags",
        "model",
        "project",
        "archived",
        "chosen",
    }
)
"""The RunRecord fields `update_run` may set: one list for every engine and the wire."""


@dataclass
class MetricSummary:
    """Kept up to date on ingest: enough for run lists and comparisons without points."""

    count: int
    last: float
    last_step: int
    min: float
    min_step: int
    max: float
    max_step: int
    first_time: float
    last_time: float

    def to_json(self) -> dict[str, Any]:
        return {k: spell(v) for k, v in self.__dict__.items()}


@dataclass
class Series:
    """Columns of one metric's points, in step order (float64 values, NaN/inf kept)."""

    key: str
    steps: npt.NDArray[np.int64]
    times: npt.NDArray[np.float64]
    values: npt.NDArray[np.float64]
    total: int = 0  # points stored for the key (before downsampling / `since`)
    downsampled: bool = False

    def __len__(self) -> int:
        return int(self.steps.shape[0])


@dataclass
class PointBatch:
    """Points of one key to append: parallel arrays (or lists) of equal length."""

    steps: npt.NDArray[np.int64]
    times: npt.NDArray[np.float64]
    values: npt.NDArray[np.float64]

    @classmethod
    def of(
        cls, steps: Sequence[int], times: Sequence[float], values: Sequence[float]
    ) -> PointBatch:
        return cls(
            np.asarray(steps, dtype=np.int64),
            np.asarray(times, dtype=np.float64),
            np.asarray(values, dtype=np.float64),
        )


@dataclass
class TextRecord:
    key: str
    step: int
    wall_time: float
    text: str


@dataclass
class HistogramRecord:
    """A histogram at one step: `edges` has len(counts) + 1 entries."""

    key: str
    step: int
    wall_time: float
    edges: list[float]
    counts: list[float]
    min: float
    max: float
    count: int
    sum: float


@dataclass
class ArtifactRecord:
    """A file kept with a run. `path` is relative to the store's artifact folder."""

    name: str
    kind: str
    step: int | None
    path: str
    size: int
    wall_time: float
    id: int | None = None


@dataclass
class EventRecord:
    """Something that happened to a run, shown in order on its page (kind "alert": a
    wandb.alert(); level "info", "warn" or "error")."""

    kind: str
    title: str
    text: str
    level: str
    wall_time: float
    step: int | None = None
    id: int | None = None


EVENT_LEVELS = ("info", "warn", "error")
VALUE_NAMESPACES = ("summary", "import")
"""run_values namespaces: "summary" is the run's own summary dict (wandb's run.summary),
"import" an importer's resume points."""


@dataclass
class RunQuery:
    """Filters for list_runs/count_runs; None means "any". archived=None lists both."""

    project: str | None = None
    model: str | None = None
    status: Status | None = None
    tag: str | None = None
    search: str | None = None  # case-insensitive substring of the name
    archived: bool | None = False
    limit: int | None = None
    offset: int = 0
    # "created": newest first; "model": by model (runs without one last), newest first within
    # a model, so a page holds a model's runs together
    sort: RunSort = "created"


@dataclass(frozen=True)
class SeriesQuery:
    """The arguments of read_series after the run and key, checked once (here) for every
    engine: x is "step" or "time", max_points >= 1, steps are int64, start <= end."""

    max_points: int | None = None
    x: XAxis = "step"
    since: int | None = None
    start: int | None = None
    end: int | None = None

    def __post_init__(self) -> None:
        if self.x not in ("step", "time"):
            raise UsageError(f"read_series: x must be 'step' or 'time', got {self.x!r}")
        if self.max_points is not None:
            check_int("read_series: max_points", self.max_points)
            if self.max_points < 1:
                raise UsageError(f"read_series: max_points must be >= 1, got {self.max_points}")
        for name in ("since", "start", "end"):
            if getattr(self, name) is not None:
                check_int(f"read_series: {name}", getattr(self, name))
        check_step_range(self.start, self.end)


@dataclass
class GroupLeaders:
    """What ranking one model group needs about every run a query matches, not one page.

    `keys`: the metric keys the group's runs logged that may decide (`roles.can_decide`:
    losses, quality metrics, perplexities). `goals`: the runs' define_metric() choices merged
    newest run first (a later, older run's choice wins, as merging the listed runs does).
    `leaders`: the runs that hold the group's lowest finite minimum or highest finite maximum
    of one of those keys (all of them on a tie), with id, model, created_at and the summaries of
    those keys only. The group's best run for any of the keys is among them."""

    keys: set[str] = field(default_factory=set)
    goals: dict[str, str] = field(default_factory=dict)
    leaders: list[RunRecord] = field(default_factory=list)


def leaders_of(runs: Iterable[RunRecord]) -> dict[str | None, GroupLeaders]:
    """GroupLeaders of every model among `runs` (listed newest first), worked out in Python:
    the reference for engines that compute them in the database."""
    from trainboard.roles import can_decide

    out: dict[str | None, GroupLeaders] = {}
    best: dict[tuple[str | None, str, bool], tuple[float, list[RunRecord]]] = {}
    runs = list(runs)
    defined: dict[str, str] = {}
    for r in reversed(runs):
        defined.update(r.goals)
    for r in runs:
        g = out.setdefault(r.model, GroupLeaders())
        g.goals.update(r.goals)
        for key, s in r.summary.items():
            if not can_decide(key, defined):
                continue
            g.keys.add(key)
            for high, v in ((False, s.min), (True, s.max)):
                if not math.isfinite(v):
                    continue
                slot = best.get((r.model, key, high))
                if slot is None or (v > slot[0] if high else v < slot[0]):
                    best[(r.model, key, high)] = (v, [r])
                elif v == slot[0]:
                    slot[1].append(r)
    picked: dict[tuple[str | None, str], RunRecord] = {}
    for (model, key, _), (_, holders) in best.items():
        for r in holders:
            lead = picked.get((model, r.id))
            if lead is None:
                lead = RunRecord(r.id, r.project, r.name, model=model, created_at=r.created_at)
                picked[(model, r.id)] = lead
                out[model].leaders.append(lead)
            lead.summary[key] = r.summary[key]
    return out


class Store(ABC):
    """One interface, several engines. See the module docstring for the contract."""

    url: str

    # runs -----------------------------------------------------------------------------
    @abstractmethod
    def create_run(self, run: RunRecord) -> RunRecord:
        """Insert a new run (its id is chosen by the caller); raise UsageError if it exists."""

    @abstractmethod
    def get_run(self, run_id: str) -> RunRecord:
        """The run with its summary; raise RunNotFoundError."""

    @abstractmethod
    def list_runs(self, query: RunQuery | None = None) -> list[RunRecord]:
        """Runs with summaries, newest first."""

    @abstractmethod
    def count_runs(self, query: RunQuery | None = None) -> int: ...

    @abstractmethod
    def update_run(self, run_id: str, **fields: Any) -> None:
        """Set run columns (the names in UPDATABLE); raise RunNotFoundError, and UsageError
        for any other field."""

    def update_run_if(self, run_id: str, expect_status: Status, **fields: Any) -> bool:
        """update_run, but only while the stored status is still `expect_status`; True when it
        applied. SQL engines check and write in one statement, so a run that finished in the
        meantime is never overwritten; this fallback (for engines without one) reads first.
        Raise RunNotFoundError."""
        if self.get_run(run_id).status != expect_status:
            return False
        self.update_run(run_id, **fields)
        return True

    def group_leaders(
        self, query: RunQuery, models: Iterable[str | None]
    ) -> dict[str | None, GroupLeaders]:
        """GroupLeaders of each of `models` (None: runs without a model) over every run that
        matches `query`'s filters (its limit, offset and sort are ignored). A model with no
        matching run is absent. SQL engines aggregate in the database; this fallback lists."""
        wanted = set(models)
        every = RunQuery(
            project=query.project,
            model=query.model,
            status=query.status,
            tag=query.tag,
            search=query.search,
            archived=query.archived,
        )
        groups = leaders_of(r for r in self.list_runs(every) if r.model in wanted)
        return {m: g for m, g in groups.items() if m in wanted}

    @abstractmethod
    def set_archived(self, run_ids: Iterable[str], archived: bool) -> int:
        """Flag runs archived or not; return how many exist. Unknown ids raise first."""

    @abstractmethod
    def delete_runs(self, run_ids: Iterable[str]) -> int:
        """Delete runs and everything of theirs (points, texts, histograms, artifact rows)."""

    # metrics --------------------------------------------------------------------------
    @abstractmethod
    def write_points(self, run_id: str, batches: dict[str, PointBatch]) -> None:
        """Append points of several keys in one transaction and update the summaries."""

    @abstractmethod
    def read_series(
        self,
        run_id: str,
        key: str,
        *,
        max_points: int | None = None,
        x: XAxis = "step",
        since: int | None = None,
        start: int | None = None,
        end: int | None = None,
    ) -> Series:
        """One key's points, whole or downsampled, optionally only steps in [start, end]
        (see the module docstring)."""

    @abstractmethod
    def metric_keys(self, run_id: str) -> list[str]: ...

    # texts, histograms, artifacts ------------------------------------------------------
    @abstractmethod
    def write_texts(self, run_id: str, rows: Sequence[TextRecord]) -> None: ...

    @abstractmethod
    def read_texts(
        self, run_id: str, key: str | None = None, since: int | None = None
    ) -> list[TextRecord]: ...

    @abstractmethod
    def write_histograms(self, run_id: str, rows: Sequence[HistogramRecord]) -> None: ...

    @abstractmethod
    def read_histograms(self, run_id: str, key: str | None = None) -> list[HistogramRecord]: ...

    @abstractmethod
    def add_artifact(self, run_id: str, artifact: ArtifactRecord) -> ArtifactRecord: ...

    @abstractmethod
    def list_artifacts(self, run_id: str) -> list[ArtifactRecord]: ...

    # run values and events --------------------------------------------------------------
    @abstractmethod
    def write_run_values(self, run_id: str, namespace: str, values: dict[str, Any]) -> None:
        """Set JSON values of `namespace` (one of VALUE_NAMESPACES) by key; other keys stay.
        A value of None removes its key."""

    @abstractmethod
    def read_run_values(self, run_id: str, namespace: str) -> dict[str, Any]:
        """Every value of `namespace` for the run ({} when none); raise RunNotFoundError."""

    @abstractmethod
    def add_events(self, run_id: str, rows: Sequence[EventRecord]) -> None:
        """Append events (their order is kept)."""

    @abstractmethod
    def read_events(self, run_id: str) -> list[EventRecord]:
        """The run's events, oldest first; raise RunNotFoundError."""

    # lifecycle --------------------------------------------------------------------------
    @abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def check_namespace(namespace: str) -> None:
    """The engines' shared check of a run_values namespace."""
    if namespace not in VALUE_NAMESPACES:
        from trainboard.errors import UsageError

        raise UsageError(
            f"run values: namespace must be one of {', '.join(VALUE_NAMESPACES)}, got {namespace!r}"
        )


def check_event(event: EventRecord) -> None:
    """The engines' shared check of an event: a known level and a non-empty kind."""
    from trainboard.errors import UsageError

    if event.level not in EVENT_LEVELS:
        raise UsageError(
            f"event {event.title!r}: level must be one of {', '.join(EVENT_LEVELS)}, "
            f"got {event.level!r}"
        )
    if not isinstance(event.kind, str) or not event.kind:
        raise UsageError(f"event {event.title!r}: kind must be a non-empty str")


def check_step_range(start: int | None, end: int | None) -> None:
    """The engines' shared check of read_series(start=, end=): raise UsageError naming both."""
    if start is not None and end is not None and start > end:
        raise UsageError(f"read_series: start must be <= end, got start={start}, end={end}")
