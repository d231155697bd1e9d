"""`SQLStore`: the Store contract over SQL, composed of one resource object per table group.

Engines differ only in how a connection is opened and in their `Dialect` (sqlite.py,
postgres.py); everything else is written once, in this package, and each part takes only the
`Database` (db.py: the engine, the dialect and the one retry loop):

- runs.py: `Runs`, one run, a filtered page of runs, a count; create, update, archive, delete;
- points.py: `Points`, write_points, read_series and metric_keys (append.py: the write plan);
- attached.py: `Attached`, texts, histograms, artifacts, run values and events;
- media.py: `Media`, media items and their bytes (blobs.py: the files beside a SQLite store);
- leaders.py: `Leaders`, group leaders from aggregate queries;
- imports.py: `Imports`, many new runs with their points in one transaction;
- tokens.py: `Tokens`, API tokens and the audit record;
- migrate.py: `Migrations`, schema revisions, checked and upgraded on open;
- rows.py: records <-> rows (limits checked, JSON columns, packed summaries);
- forksafe.py: connection pools forgotten in a forked child.

This class only composes them: nothing in this package imports it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from trainboard.errors import StoreError
from trainboard.roles.measure import Measure
from trainboard.store.base import Store
from trainboard.store.facets import RunFacets
from trainboard.store.mediarecords import Blob, MediaKey, MediaRecord
from trainboard.store.queries import GroupLeaders, GroupTrend, RunQuery, SeriesQuery, XAxis
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
from trainboard.store.sql import facetcounts, trends
from trainboard.store.sql.attached import Attached
from trainboard.store.sql.blobs import Blobs
from trainboard.store.sql.channels import Channels
from trainboard.store.sql.db import Database
from trainboard.store.sql.imports import Imports
from trainboard.store.sql.leaders import Leaders
from trainboard.store.sql.media import Media
from trainboard.store.sql.migrate import Migrations
from trainboard.store.sql.points import Points
from trainboard.store.sql.runs import Runs
from trainboard.store.sql.tokens import Tokens


class SQLStore(Store):
    """A Store over one Database; sqlite.py and postgres.py open it."""

    config_filters = True  # store/sql/configindex.py

    def __init__(self, url: str, db: Database, media_files: Blobs | None = None) -> None:
        self.url = url
        self.db = db
        self.media_files = media_files  # files, a bucket, or None: bytes in the database
        self.media = Media(db, media_files)
        self.runs = Runs(db, self.media)
        self.points = Points(db)
        self.attached = Attached(db)
        self.leaders = Leaders(db, self.runs)
        self.tokens = Tokens(db)
        self.channels = Channels(db)
        self.imports = Imports(db)
        self._identity: str | None = None
        try:
            Migrations(db).bring_to_head()
        except (DBAPIError, StoreError) as e:
            db.close()
            cause = e if isinstance(e, DBAPIError) else e.__cause__
            if not isinstance(cause, DBAPIError):
                raise
            hint = ""
            if "not a database" in str(cause.orig):
                hint = " (the file is damaged, or is not a trainboard store)"
            raise StoreError(
                f"could not open the store at {db.safe_url}: {cause.orig}{hint}",
                transient=db.dialect.fault(cause) != "refused",
            ) from e

    @property
    def engine(self) -> Engine:
        return self.db.engine

    # runs (runs.py, leaders.py) -------------------------------------------------------
    def create_run(self, run: RunRecord) -> RunRecord:
        return self.runs.create(run)

    def import_runs(self, runs: Sequence[tuple[RunRecord, Mapping[str, PointBatch]]]) -> int:
        """Every run and its points in one transaction (store/sql/imports.py)."""
        return self.imports.runs(runs)

    def get_run(self, run_id: str) -> RunRecord:
        return self.runs.get(run_id)

    def list_runs(self, query: RunQuery | None = None) -> list[RunRecord]:
        return self.runs.page(query)

    def group_leaders(
        self, query: RunQuery, models: Iterable[str | None]
    ) -> dict[str | None, GroupLeaders]:
        """The contract's GroupLeaders from a few aggregate queries (store/sql/leaders.py)."""
        return self.leaders.of_groups(query, models)

    def group_trends(
        self, groups: Sequence[tuple[str | None, str | None]], measure: Measure
    ) -> dict[tuple[str | None, str | None], GroupTrend]:
        """Groups' improvement trends by window functions (store/sql/trends.py)."""
        return trends.group_trends(self.db, groups, measure)

    def count_runs(self, query: RunQuery | None = None) -> int:
        """Exact: the kept counts where the filters allow (store/sql/counts.py)."""
        return self.runs.count(query)

    def count_runs_upto(self, query: RunQuery, cap: int) -> tuple[int, bool]:
        """The kept count, else at most cap + 1 matching runs read (store/sql/counts.py)."""
        return self.runs.count_upto(query, cap)

    def facet_runs(self, query: RunQuery | None = None) -> RunFacets:
        """One GROUP BY over a covering index (store/sql/facetcounts.py)."""
        return facetcounts.facet_runs(self.runs, query or RunQuery())

    def update_run(self, run_id: str, **fields: Any) -> None:
        self.runs.update(run_id, fields)

    def update_run_if(self, run_id: str, expect_status: Status, **fields: Any) -> bool:
        return self.runs.update_if(run_id, expect_status, fields)

    def set_archived(self, run_ids: Iterable[str], archived: bool) -> int:
        return self.runs.set_archived(run_ids, archived)

    def delete_runs(self, run_ids: Iterable[str]) -> int:
        return self.runs.delete(run_ids)

    # metrics (points.py) --------------------------------------------------------------
    def write_points(self, run_id: str, batches: dict[str, PointBatch]) -> None:
        self.points.write(run_id, batches)

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
        q = SeriesQuery(max_points, x, since, start, end, superseded)
        return self.points.read_series(run_id, key, q)

    def metric_keys(self, run_id: str) -> list[str]:
        return self.points.keys(run_id)

    # texts, histograms, artifacts, run values and events (attached.py) ----------------
    def write_texts(self, run_id: str, rows: Sequence[TextRecord]) -> None:
        self.attached.write_texts(run_id, rows)

    def read_texts(
        self, run_id: str, key: str | None = None, since: int | None = None
    ) -> list[TextRecord]:
        return self.attached.read_texts(run_id, key, since)

    def write_histograms(self, run_id: str, rows: Sequence[HistogramRecord]) -> None:
        self.attached.write_histograms(run_id, rows)

    def read_histograms(self, run_id: str, key: str | None = None) -> list[HistogramRecord]:
        return self.attached.read_histograms(run_id, key)

    def add_artifact(self, run_id: str, artifact: ArtifactRecord) -> ArtifactRecord:
        return self.attached.add_artifact(run_id, artifact)

    def list_artifacts(self, run_id: str) -> list[ArtifactRecord]:
        return self.attached.list_artifacts(run_id)

    def write_run_values(self, run_id: str, namespace: str, values: dict[str, Any]) -> None:
        self.attached.write_run_values(run_id, namespace, values)

    def read_run_values(self, run_id: str, namespace: str) -> dict[str, Any]:
        return self.attached.read_run_values(run_id, namespace)

    def add_events(self, run_id: str, rows: Sequence[EventRecord]) -> None:
        self.attached.add_events(run_id, rows)

    def read_events(self, run_id: str) -> list[EventRecord]:
        return self.attached.read_events(run_id)

    # lifecycle ------------------------------------------------------------------------
    # media (media.py) -----------------------------------------------------------------
    def write_media(
        self, run_id: str, items: Sequence[MediaRecord], blobs: Mapping[str, Blob]
    ) -> None:
        self.media.write(run_id, items, blobs)

    def read_media(
        self, run_id: str, key: str | None = None, step: int | None = None
    ) -> list[MediaRecord]:
        return self.media.read(run_id, key, step)

    def media_keys(self, run_id: str) -> list[MediaKey]:
        return self.media.keys(run_id)

    def read_blob(self, digest: str) -> tuple[str, bytes]:
        return self.media.blob(digest)

    def blob_used_in(self, digest: str, projects: Sequence[str]) -> bool:
        return self.media.used_in(digest, projects)

    def identity(self) -> str | None:
        """store_meta's "store_id", made by migration 0015 (read once, then kept)."""
        if self._identity is None:
            import sqlalchemy as sa

            from trainboard.store.sql.schema import store_meta

            q = sa.select(store_meta.c.value).where(store_meta.c.key == "store_id")
            found = self.db.read(lambda conn: conn.execute(q).scalar())
            self._identity = str(found) if found else None
        return self._identity

    def now(self) -> float:
        return float(self.db.read(self.db.dialect.now))

    def close(self) -> None:
        self.db.close()


__all__ = ["SQLStore"]
