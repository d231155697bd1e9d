"""One stored run, read back: `StoredRun` (what `Api.run()` and iterating `Api.runs()` give).

A StoredRun holds the run's record as read (its config, tags, summaries); `refresh()` reads it
again. Its status, progress and health come from trainboard.analysis and `to_json()` from the
server's own run view, so every number equals what the web page and the HTTP API show.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, overload

from trainboard.errors import UsageError
from trainboard.read.history import (
    HistoryFormat,
    HistoryX,
    as_frame,
    history_columns,
    require_pandas,
    wanted_keys,
)

if TYPE_CHECKING:
    import numpy.typing as npt
    import pandas as pd

    from trainboard.analysis.health import Health
    from trainboard.analysis.progress import Progress
    from trainboard.read.media import MediaItem
    from trainboard.store.base import Store
    from trainboard.store.records import (
        ArtifactRecord,
        HistogramRecord,
        MetricSummary,
        RunRecord,
        Status,
        TextRecord,
    )


class StoredRun:
    """A run in the store: its fields, numbers and history (read-only)."""

    def __init__(self, store: Store, record: RunRecord, artifacts_dir: Path | None = None):
        self._store = store
        self._record = record
        self._artifacts_dir = artifacts_dir

    def __repr__(self) -> str:
        return f"<StoredRun {self.id} {self.name!r} project={self.project!r} {self.status}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, StoredRun) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)

    # fields ---------------------------------------------------------------------------
    @property
    def record(self) -> RunRecord:
        """The run as the store keeps it (trainboard.store.RunRecord)."""
        return self._record

    @property
    def id(self) -> str:
        return self._record.id

    @property
    def name(self) -> str:
        return self._record.name

    @property
    def project(self) -> str:
        return self._record.project

    @property
    def model(self) -> str | None:
        return self._record.model

    @property
    def tags(self) -> list[str]:
        return list(self._record.tags)

    @property
    def archived(self) -> bool:
        return self._record.archived

    @property
    def config(self) -> dict[str, Any]:
        return self._record.config

    @property
    def notes(self) -> str | None:
        return self._record.notes

    @property
    def goals(self) -> dict[str, str]:
        """The run's define_metric() definitions per key ("min", "max", a role, "role:goal")."""
        return dict(self._record.goals)

    @property
    def total_steps(self) -> int | None:
        return self._record.total_steps

    @property
    def last_step(self) -> int | None:
        return self._record.last_step

    @property
    def created_at(self) -> float:
        return self._record.created_at

    @property
    def finished_at(self) -> float | None:
        return self._record.finished_at

    @property
    def status(self) -> Status:
        """The status the API shows: the stored one, except a running run whose process or
        heartbeat is gone reads "crashed" (trainboard.analysis.status)."""
        from trainboard.analysis.status import effective_status

        return effective_status(self._record)

    @property
    def summary(self) -> dict[str, MetricSummary]:
        """Per metric: count, last, min, max, their steps, first and last time."""
        return self._record.summary

    @property
    def keys(self) -> list[str]:
        """The metric keys the run logged, sorted."""
        return sorted(self._record.summary)

    @property
    def progress(self) -> Progress:
        """Step, percent, elapsed, ETA, rates, tokens, loss... (`ProgressOut` as `.to_json()`)."""
        from trainboard.analysis.progress import progress_for

        return progress_for(self._store, self._record)

    @property
    def health(self) -> Health:
        """The health verdict and findings (`HealthOut` as `.to_json()`)."""
        from trainboard.analysis.health import health_for

        return health_for(self._store, self._record)

    def stop(self, by: str = "api") -> StoredRun:
        """Ask this run to stop, as `trainboard stop` does: its training process sees
        `run.should_stop` within about 2 s and the run ends as "stopped". UsageError when the
        run is not running."""
        from trainboard.analysis.control import request_stop

        request_stop(self._store, self.id, by=by)
        flush = getattr(self._store, "flush", None)  # a server's store: send it now
        if callable(flush):
            flush(10.0)
        return self

    def refresh(self) -> StoredRun:
        """Read the run again (a running run's summary, status and steps move on)."""
        self._record = self._store.get_run(self.id)
        return self

    def to_json(self) -> dict[str, Any]:
        """Exactly what GET /api/v1/runs/{id} answers: {"run", "health", "keys", ...}, NaN and
        ±inf spelled as strings (one builder for both: trainboard.analysis.rundoc)."""
        from trainboard.analysis.rundoc import run_document

        return run_document(self._store, self._record, time.time())

    # points ---------------------------------------------------------------------------
    @overload
    def history(
        self,
        keys: str | Sequence[str] | None = ...,
        x: HistoryX = ...,
        start: int | None = ...,
        end: int | None = ...,
        max_points: int | None = ...,
        format: Literal["pandas"] = ...,
    ) -> pd.DataFrame: ...

    @overload
    def history(
        self,
        keys: str | Sequence[str] | None = ...,
        x: HistoryX = ...,
        start: int | None = ...,
        end: int | None = ...,
        max_points: int | None = ...,
        *,
        format: Literal["numpy"],
    ) -> dict[str, npt.NDArray[Any]]: ...

    def history(
        self,
        keys: str | Sequence[str] | None = None,
        x: HistoryX = "step",
        start: int | None = None,
        end: int | None = None,
        max_points: int | None = None,
        format: HistoryFormat = "pandas",
    ) -> pd.DataFrame | dict[str, npt.NDArray[Any]]:
        """Metric points as one table: rows on `x` ("step", "wall_time" or "tokens"), a
        column per key (every key when None), NaN where a key has no point at that x.

        Every stored point, or with `max_points` the store's min/max downsample per key (so
        spikes survive); `start`/`end` keep steps in [start, end]. `format="pandas"` gives a
        DataFrame indexed by x (needs `pip install 'trainboard[pandas]'`); `format="numpy"` a
        dict of arrays, x first."""
        if format not in ("pandas", "numpy"):
            raise UsageError(f"history(): format must be 'pandas' or 'numpy', got {format!r}")
        if format == "pandas":
            require_pandas("history(format='pandas')")  # before reading a million points
        cols = history_columns(
            self._store,
            self._record,
            wanted_keys(self._record, keys),
            x=x,
            start=start,
            end=end,
            max_points=max_points,
        )
        return cols if format == "numpy" else as_frame(cols, x)

    def texts(self, key: str | None = None) -> list[TextRecord]:
        """Logged text samples (key, step, wall_time, text), in step order."""
        return self._store.read_texts(self.id, key)

    def histograms(self, key: str | None = None) -> list[HistogramRecord]:
        """Logged histograms (key, step, edges, counts, min, max, count, sum)."""
        return self._store.read_histograms(self.id, key)

    def media(self, key: str | None = None) -> list[MediaItem]:
        """Logged images, sounds, videos and tables (of `key`), by key, step and index: each
        with its step, caption, kind and bytes (`.data`, `.numpy()`, `.pil()`)."""
        from trainboard.read.media import media_items

        return media_items(self._store, self.id, key)

    def table(self, key: str, step: int | None = None) -> pd.DataFrame:
        """The Table logged as `key` at `step` (the last at or before it; default: the
        last) as a DataFrame; media cells are MediaItems."""
        from trainboard.read.media import table_frame

        return table_frame(self._store, self.id, key, step)

    def artifacts(self) -> list[ArtifactRecord]:
        """Files kept with the run (name, kind, step, path relative to the artifact folder,
        size); `artifact_path()` gives where one lies on this machine."""
        return self._store.list_artifacts(self.id)

    def artifact_path(self, artifact: ArtifactRecord) -> Path:
        """Where an artifact's file lies in this store's artifact folder (local stores)."""
        if self._artifacts_dir is None:
            raise UsageError(
                "artifact_path(): a remote store's files are on the server; download them from "
                f"/api/v1/runs/{self.id}/artifacts/{artifact.id}/file"
            )
        return self._artifacts_dir / artifact.path
