"""The values a Store takes and hands back: runs, their metric summaries, points, texts,
histograms, artifacts and events.

Why apart from the contract (base.py): most of the product only reads these (analysis, reports,
the CLI, the SDK's writer) and never calls a Store; a new run field changes this module and the
engines that store it, not the interface. The checks both SQL and remote engines share (an
event's level, a run-values namespace) live beside the values they check.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

import numpy as np
import numpy.typing as npt

from trainboard.errors import UsageError
from trainboard.jsonvalues import spell

# "pruned": a hyperparameter-search trial stopped early on purpose (Optuna's pruner);
# "stopped": a person asked the run to stop (`trainboard stop`, the Run page, Api) and it did
Status = Literal["running", "finished", "failed", "killed", "crashed", "pruned", "stopped"]
STATUSES: tuple[Status, ...] = (
    "running", "finished", "failed", "killed", "crashed", "pruned", "stopped",
)  # fmt: skip
Goal = Literal["min", "max"]


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
        "last_step",  # set back to N when a run is resumed from checkpoint step N
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
ValueNamespace = Literal["summary", "import", "control", "alerts", "ranks", "attempts"]
VALUE_NAMESPACES: tuple[str, ...] = get_args(ValueNamespace)
"""run_values namespaces: "summary" is the run's own summary dict (wandb's run.summary),
"import" an importer's resume points, "control" what people asked of a running run ("stop"),
"alerts" the alert episodes already fired ("kind#episode": when), so each fires once, "ranks"
each rank of a multi-process job by rank (host, pid, local rank, how it ended: sdk/ranks.py),
"attempts" the processes that wrote the run one after another (store/attempts.py)."""


OWNER_NAMESPACE = "owner"
"""run_values namespace the server keeps a run's owner in (the token that created it); the
server writes it itself, it is not among the namespaces the API and the ingest ops take."""


def check_namespace(namespace: str) -> None:
    """The engines' shared check of a run_values namespace."""
    if namespace not in VALUE_NAMESPACES and namespace != OWNER_NAMESPACE:
        raise UsageError(
            f"run values: namespace must be one of {', '.join(VALUE_NAMESPACES)}, got {namespace!r}"
        )


def check_event(event: EventRecord) -> None:
    """The engines' shared check of an event: a known level and a non-empty kind."""
    if event.level not in EVENT_LEVELS:
        raise UsageError(
            f"event {event.title!r}: level must be one of {', '.join(EVENT_LEVELS)}, "
            f"got {event.level!r}"
        )
    if not isinstance(event.kind, str) or not event.kind:
        raise UsageError(f"event {event.title!r}: kind must be a non-empty str")
