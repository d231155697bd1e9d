"""The store contract: the one interface every engine (SQLite, PostgreSQL, remote) meets.

The values it takes and returns are in records.py (runs, summaries, points, texts, ...) and
queries.py (RunQuery, SeriesQuery, GroupLeaders); this module only describes.

Keys and values
    A run has an id (12 lowercase hex chars, made by the SDK), and metrics named by flat
    slash keys ("train/loss"). A point is (step: int, wall_time: float seconds since the epoch,
    value: float). NaN and ±inf are legal values and come back bit-for-bit as stored.

Step order
    Points of one (run, key) come back sorted by step. When the same step was written twice
    (a run resumed from a checkpoint re-logs steps it had logged before the crash), the later
    write wins, so a resumed run continues on one timeline. A run resumed from a checkpoint
    step N (store/attempts.py) also leaves out the points after N that the attempt which died
    wrote: they are superseded, kept, and read with `read_series(superseded=True)`.

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
    unless more than `max_points` arrived. SQL engines may answer a long range (a million
    points or more, at least a chunk per bucket) from per-chunk extremes: a bucket is then the
    chunks whose first point falls in it (store/sql/tiers.py); the rules above still hold.

Step ranges
    `read_series(start=A, end=B)` returns only points with A <= step <= B (either bound may be
    left out), downsampled over that range, and reads only the chunks whose step range
    overlaps it: "the value at step S" costs one chunk, not the whole series. `total` stays
    the count of points stored for the key.

Limits
    What no engine can hold is refused with a UsageError naming the field, before anything
    is written: NUL characters and lone surrogates in strings, keys over MAX_KEY_BYTES,
    steps and other integers outside int64. The rules live in limits.py, which the SDK
    imports to refuse the same values at the log() call.

Concurrency
    Several processes may write one store at once (one writer per run); none may fail with
    "database is locked" or lose points. Engines retry transient lock errors.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from trainboard.errors import UsageError
from trainboard.store import facets
from trainboard.store.facets import RunFacets
from trainboard.store.mediarecords import Blob, MediaKey, MediaRecord
from trainboard.store.queries import GroupLeaders, GroupTrend, RunQuery, XAxis, leaders_of
from trainboard.store.records import (
    ArtifactRecord,
    EventRecord,
    HistogramRecord,
    PointBatch,
    RunRecord,
    Series,
    Status,
    TextRecord,
)

if TYPE_CHECKING:
    from trainboard.roles.measure import Measure


class Store(ABC):
    """One interface, several engines. See the module docstring for the contract."""

    url: str
    server_delivers: bool = False
    """True where a server receives what is written and delivers alerts recorded as run
    events (a team server's client); otherwise whoever records an alert delivers it."""
    config_filters: bool = False
    """True where list_runs, count_runs and facet_runs answer RunQuery.config (the SQL
    engines, by index); an engine without it refuses a query that has any, and
    `Api().runs(config=...)` then checks them itself."""

    # runs -----------------------------------------------------------------------------
    @abstractmethod
    def create_run(self, run: RunRecord) -> RunRecord:
        """Insert a new run (its id is chosen by the caller); raise UsageError if it exists."""

    def import_runs(self, runs: Sequence[tuple[RunRecord, Mapping[str, PointBatch]]]) -> int:
        """Insert new runs, each with its first points (as write_points takes them); return
        how many. Importers and the scale bench write finished runs whole: SQL engines put
        them all in one transaction (all or none, thousands of runs a second), so no page
        ever shows a run without its points. Raise UsageError if an id exists or repeats.
        This fallback (for engines without one) creates and writes them one by one."""
        ids = [run.id for run, _ in runs]
        if len(set(ids)) != len(ids):
            raise UsageError("import_runs: a run id appears twice")
        for run, batches in runs:
            self.create_run(run)
            if batches:
                self.write_points(run.id, dict(batches))
        return len(runs)

    @abstractmethod
    def get_run(self, run_id: str) -> RunRecord:
        """The run with its summary; raise RunNotFoundError."""

    @abstractmethod
    def list_runs(self, query: RunQuery | None = None) -> list[RunRecord]:
        """Runs with summaries, newest first."""

    @abstractmethod
    def count_runs(self, query: RunQuery | None = None) -> int: ...

    def count_runs_upto(self, query: RunQuery, cap: int) -> tuple[int, bool]:
        """(count, exact) of the runs `query`'s filters match: the exact count, or (cap,
        False) when more than `cap` match and an exact count would read every one of them
        (what a page shows as "10,000+"). SQL engines count from kept counts where the
        filters allow; this fallback counts exactly."""
        return self.count_runs(query), True

    def facet_runs(self, query: RunQuery | None = None) -> RunFacets:
        """How many runs `query`'s filters match, per project, status and model (its limit,
        offset and sort are ignored). SQL engines group by index; this fallback lists."""
        q = replace(query or RunQuery(), limit=None, offset=0, after=None)
        return facets.of_runs(self.list_runs(q))

    @abstractmethod
    def update_run(self, run_id: str, **fields: Any) -> None:
        """Set run columns (the names in records.UPDATABLE); raise RunNotFoundError, and
        UsageError for any other field."""

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
            projects=query.projects,
            model=query.model,
            status=query.status,
            tag=query.tag,
            search=query.search,
            name=query.name,
            archived=query.archived,
            id_prefix=query.id_prefix,
        )
        groups = leaders_of(r for r in self.list_runs(every) if r.model in wanted)
        return {m: g for m, g in groups.items() if m in wanted}

    def group_trends(
        self, groups: Sequence[tuple[str | None, str | None]], measure: Measure
    ) -> dict[tuple[str | None, str | None], GroupTrend]:
        """The improvement trend of each group (`(model, None)`; or `(None, project)`, the
        runs of `project` without a model) over all its runs, archived ones included, as
        analysis/trend.py's `improvement_trend` of the listed runs works it out (the
        reference). A group is left out where this engine cannot answer it so (a run of the
        group defined its own goals with define_metric(), or the engine has no SQL): the
        caller then lists the group's runs. SQL engines answer with window functions in one
        statement, returning only the kept points (store/sql/trends.py)."""
        return {}

    @abstractmethod
    def set_archived(self, run_ids: Iterable[str], archived: bool) -> int:
        """Flag runs archived or not; return how many exist. Unknown ids raise first."""

    @abstractmethod
    def delete_runs(self, run_ids: Iterable[str]) -> int:
        """Delete runs and everything of theirs (points, texts, histograms, artifact rows,
        media items, and the media bytes no other run uses)."""

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
        superseded: bool = False,
    ) -> Series:
        """One key's points, whole or downsampled, optionally only steps in [start, end]
        (see the module docstring). Points a later attempt superseded (a run resumed from a
        checkpoint step: store/attempts.py) are left out; `superseded=True` returns only
        them."""

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
        """Set JSON values of `namespace` (one of records.VALUE_NAMESPACES) by key; other keys
        stay. A value of None removes its key."""

    @abstractmethod
    def read_run_values(self, run_id: str, namespace: str) -> dict[str, Any]:
        """Every value of `namespace` for the run ({} when none); raise RunNotFoundError."""

    @abstractmethod
    def add_events(self, run_id: str, rows: Sequence[EventRecord]) -> None:
        """Append events (their order is kept)."""

    @abstractmethod
    def read_events(self, run_id: str) -> list[EventRecord]:
        """The run's events, oldest first; raise RunNotFoundError."""

    # media (images, audio, video, tables; store/mediarecords.py) -----------------------
    @abstractmethod
    def write_media(
        self, run_id: str, items: Sequence[MediaRecord], blobs: Mapping[str, Blob]
    ) -> None:
        """Add media items with the bytes of their digests (`blobs`: digest -> Blob). Bytes
        the store has already (any run's) need not be sent and are never stored twice; a
        digest neither sent nor stored is a UsageError, as is a blob whose bytes have
        another SHA-256."""

    @abstractmethod
    def read_media(
        self, run_id: str, key: str | None = None, step: int | None = None
    ) -> list[MediaRecord]:
        """Items by key, step and index; with `step` (and a key), only the items of the last
        step at or before it (else the key's first step)."""

    @abstractmethod
    def media_keys(self, run_id: str) -> list[MediaKey]:
        """Each media key of the run: kind, item count, steps."""

    @abstractmethod
    def read_blob(self, digest: str) -> tuple[str, bytes]:
        """(mime type, bytes) stored under `digest`; NotFoundError when none are."""

    def blob_used_in(self, digest: str, projects: Sequence[str]) -> bool:
        """Whether some run of `projects` uses the bytes of `digest` (a project-limited
        token may read only those, server/projectview.py). A store that cannot say answers
        False: the bytes are then refused, never shown."""
        return False

    # lifecycle --------------------------------------------------------------------------
    def identity(self) -> str | None:
        """The store's own id, the same however its URL is spelled (a SQL store's
        store_meta row, a server's store): what journals, spools and recovery key on. None
        where a store has none, or cannot say now (a server that is down)."""
        return None

    def now(self) -> float:
        """The store's clock (seconds since the epoch). Heartbeats are stamped with the time
        the store received them, so liveness is judged against this, not a host's clock."""
        import time

        return time.time()

    @abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
