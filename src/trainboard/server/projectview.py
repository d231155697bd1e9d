"""The store as a project-limited token sees it: only the runs of its projects.

Why a view of the store rather than a check in each route: every API route reads and writes
through the store its request is given (deps.get_store), so one object that refuses other
projects' runs covers every route there is and every route added later. A run of another
project is a ForbiddenError (403) naming the project, whether the route reads it (series,
media, texts, the run itself) or changes it (stop, choose, archive, delete); lists and counts
hold the token's projects only, and asking for another project's list is a 403 as well.

Media bytes by digest (GET /media/{digest}) belong to no one run: bytes are stored once for
every run that logged them. The view serves them only when a run of the token's projects
uses them, and answers any other digest as bytes never stored (404), so a digest learned
elsewhere neither fetches another project's image nor tells that it exists.

What it does not cover: the live page's event stream is filtered by server/sse.py (each
subscriber gets only its projects' runs); ingest does not go through the view: its ops are
checked one by one in server/ownership.py, with the same rule and the same message.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from trainboard.errors import NotFoundError
from trainboard.server.ownership import Who
from trainboard.store.base import Store
from trainboard.store.facets import RunFacets
from trainboard.store.mediarecords import Blob, MediaKey, MediaRecord, check_digest
from trainboard.store.queries import GroupLeaders, RunQuery, XAxis
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


class ProjectView(Store):
    """`store`, limited to the projects of `who` (a token with projects; one per request)."""

    def __init__(self, store: Store, who: Who) -> None:
        assert who.projects is not None
        self.inner = store
        self.who = who
        self.url = store.url
        self.server_delivers = store.server_delivers
        self.config_filters = store.config_filters
        self._seen: dict[str, str] = {}

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)  # what engines add (tokens, runs, ...)

    # the rule ------------------------------------------------------------------------------
    def _check(self, run_id: str) -> None:
        project = self._seen.get(run_id)
        if project is None:
            project = self._seen[run_id] = self.inner.get_run(run_id).project
        self.who.check_project(project, run_id)

    def _query(self, query: RunQuery | None) -> RunQuery:
        q = query or RunQuery()
        if q.project is not None:
            self.who.check_project(q.project)
            return q
        mine = tuple(self.who.projects or ())
        if q.projects is not None:
            mine = tuple(p for p in q.projects if p in mine)
        return replace(q, projects=mine)

    # runs ----------------------------------------------------------------------------------
    def create_run(self, run: RunRecord) -> RunRecord:
        self.who.check_project(run.project, run.id)
        return self.inner.create_run(run)

    def get_run(self, run_id: str) -> RunRecord:
        run = self.inner.get_run(run_id)
        self._seen[run_id] = run.project
        self.who.check_project(run.project, run_id)
        return run

    def list_runs(self, query: RunQuery | None = None) -> list[RunRecord]:
        return self.inner.list_runs(self._query(query))

    def count_runs(self, query: RunQuery | None = None) -> int:
        return self.inner.count_runs(self._query(query))

    def count_runs_upto(self, query: RunQuery, cap: int) -> tuple[int, bool]:
        return self.inner.count_runs_upto(self._query(query), cap)

    def facet_runs(self, query: RunQuery | None = None) -> RunFacets:
        return self.inner.facet_runs(self._query(query))

    def update_run(self, run_id: str, **fields: Any) -> None:
        self._check(run_id)
        self.inner.update_run(run_id, **fields)

    def update_run_if(self, run_id: str, expect_status: Status, **fields: Any) -> bool:
        self._check(run_id)
        return self.inner.update_run_if(run_id, expect_status, **fields)

    def group_leaders(
        self, query: RunQuery, models: Iterable[str | None]
    ) -> dict[str | None, GroupLeaders]:
        return self.inner.group_leaders(self._query(query), models)

    def set_archived(self, run_ids: Iterable[str], archived: bool) -> int:
        ids = list(run_ids)
        for run_id in ids:
            self._check(run_id)
        return self.inner.set_archived(ids, archived)

    def delete_runs(self, run_ids: Iterable[str]) -> int:
        ids = list(run_ids)
        for run_id in ids:
            self._check(run_id)
        return self.inner.delete_runs(ids)

    # everything of one run -----------------------------------------------------------------
    def write_points(self, run_id: str, batches: dict[str, PointBatch]) -> None:
        self._check(run_id)
        self.inner.write_points(run_id, batches)

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
        self._check(run_id)
        return self.inner.read_series(
            run_id,
            key,
            max_points=max_points,
            x=x,
            since=since,
            start=start,
            end=end,
            superseded=superseded,
        )

    def metric_keys(self, run_id: str) -> list[str]:
        self._check(run_id)
        return self.inner.metric_keys(run_id)

    def write_texts(self, run_id: str, rows: Sequence[TextRecord]) -> None:
        self._check(run_id)
        self.inner.write_texts(run_id, rows)

    def read_texts(
        self, run_id: str, key: str | None = None, since: int | None = None
    ) -> list[TextRecord]:
        self._check(run_id)
        return self.inner.read_texts(run_id, key, since)

    def write_histograms(self, run_id: str, rows: Sequence[HistogramRecord]) -> None:
        self._check(run_id)
        self.inner.write_histograms(run_id, rows)

    def read_histograms(self, run_id: str, key: str | None = None) -> list[HistogramRecord]:
        self._check(run_id)
        return self.inner.read_histograms(run_id, key)

    def add_artifact(self, run_id: str, artifact: ArtifactRecord) -> ArtifactRecord:
        self._check(run_id)
        return self.inner.add_artifact(run_id, artifact)

    def list_artifacts(self, run_id: str) -> list[ArtifactRecord]:
        self._check(run_id)
        return self.inner.list_artifacts(run_id)

    def write_run_values(self, run_id: str, namespace: str, values: dict[str, Any]) -> None:
        self._check(run_id)
        self.inner.write_run_values(run_id, namespace, values)

    def read_run_values(self, run_id: str, namespace: str) -> dict[str, Any]:
        self._check(run_id)
        return self.inner.read_run_values(run_id, namespace)

    def add_events(self, run_id: str, rows: Sequence[EventRecord]) -> None:
        self._check(run_id)
        self.inner.add_events(run_id, rows)

    def read_events(self, run_id: str) -> list[EventRecord]:
        self._check(run_id)
        return self.inner.read_events(run_id)

    def write_media(
        self, run_id: str, items: Sequence[MediaRecord], blobs: Mapping[str, Blob]
    ) -> None:
        self._check(run_id)
        self.inner.write_media(run_id, items, blobs)

    def read_media(
        self, run_id: str, key: str | None = None, step: int | None = None
    ) -> list[MediaRecord]:
        self._check(run_id)
        return self.inner.read_media(run_id, key, step)

    def media_keys(self, run_id: str) -> list[MediaKey]:
        self._check(run_id)
        return self.inner.media_keys(run_id)

    def read_blob(self, digest: str) -> tuple[str, bytes]:
        """The bytes only if a run of the token's projects uses them; else the NotFoundError
        of bytes never stored, so that a digest does not tell whether another project has
        them."""
        check_digest("read_blob: digest", digest)
        if not self.inner.blob_used_in(digest, self.who.projects or ()):
            raise NotFoundError(f"no media stored as {digest[:16]}...")
        return self.inner.read_blob(digest)

    def blob_used_in(self, digest: str, projects: Sequence[str]) -> bool:
        mine = [p for p in projects if self.who.may_see(p)]
        return self.inner.blob_used_in(digest, mine)

    def now(self) -> float:
        return self.inner.now()

    def close(self) -> None:
        """The app's store outlives the request: nothing to close."""
