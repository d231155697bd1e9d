"""The remote engine: the SDK's store when TRAINBOARD_URL names a trainboard server.

Writes become ops (store/wire) POSTed in batches to /api/v1/ingest by one sender thread;
reads go to the JSON API. Why writes are queued rather than sent in the caller: a training run
must not stop, or lose points, because the server restarts or the network drops for a minute.
The outbox (store/remote/outbox.py) keeps every op on disk until the server has it, in order,
exactly once, with a bounded amount in memory.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from dataclasses import fields as dataclass_fields
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import orjson

from trainboard import settings
from trainboard.errors import (
    NotFoundError,
    RunNotFoundError,
    StoreError,
    UsageError,
    error_from_body,
)
from trainboard.store.base import Store
from trainboard.store.checks import check_histogram, check_new_run, update_values
from trainboard.store.mediarecords import (
    Blob,
    MediaKey,
    MediaRecord,
    check_digest,
    check_media,
)
from trainboard.store.prepared import Prepared
from trainboard.store.queries import RunQuery, SeriesQuery, XAxis
from trainboard.store.records import (
    ArtifactRecord,
    EventRecord,
    HistogramRecord,
    MetricSummary,
    PointBatch,
    RunRecord,
    Series,
    TextRecord,
    check_event,
    check_namespace,
)
from trainboard.store.remote import wire
from trainboard.store.remote.outbox import CLOSE_TIMEOUT, Outbox
from trainboard.store.remote.wire import API, read_number
from trainboard.store.url import StoreURL

PROBE_SECONDS = 5.0
"""How often a store whose server did not answer at start asks it again which points forms
it reads (RemoteStore._packed_now)."""


def _run_record(d: dict[str, Any]) -> RunRecord:
    run = RunRecord(**{k: d[k] for k in wire.RUN_FIELDS if k in d})
    run.summary = {
        k: MetricSummary(
            count=s["count"],
            last=read_number(s["last"]),
            last_step=s["last_step"],
            min=read_number(s["min"]),
            min_step=s["min_step"],
            max=read_number(s["max"]),
            max_step=s["max_step"],
            first_time=s["first_time"],
            last_time=s["last_time"],
        )
        for k, s in (d.get("summary") or {}).items()
    }
    return run


@dataclass(frozen=True)
class ServerInfo:
    id: str
    points: tuple[str, ...]  # the points forms it reads (store/wire POINT_FORMS)


def server_identity(http: httpx.Client) -> ServerInfo | None:
    """The server's id (the same for every spelling of its URL) and the points forms it
    reads, or None if it is down."""
    try:
        r = http.get("/ingest/identity", timeout=min(2.0, http.timeout.read or 2.0))
        if r.status_code != 200:
            return None
        body = r.json()
        return ServerInfo(str(body["id"]), tuple(body.get("points") or ("columns",)))
    except (httpx.HTTPError, ValueError, KeyError, TypeError):
        return None


# --- the store ---------------------------------------------------------------------------
class RemoteStore(Store):
    """Store interface over a trainboard server's HTTP API (see the module docstring)."""

    server_delivers = True

    def __init__(
        self,
        url: str,
        token: str | None = None,
        *,
        spool_dir: Path | None = None,
        timeout: float = 30.0,
        adopt: Callable[[dict[str, Any]], bool] | None = None,
    ) -> None:
        """`adopt` chooses the dead clients' spools this store sends (default: those made for
        this server, by its identity or, failing that, its URL)."""
        if not StoreURL.is_remote(url):
            raise UsageError(f"TRAINBOARD_URL must start with http:// or https://, got {url!r}")
        self.url = url.rstrip("/")
        token = token or settings.token() or None
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = httpx.Client(base_url=self.url + API, headers=headers, timeout=timeout)
        self.client_id = uuid.uuid4().hex
        info = server_identity(self._http)
        self.server_id = info.id if info else None
        # packed points only to a server known to read them: one that is down now may be older
        self._packed = info is not None and "packed" in info.points
        self._next_probe = None if info else time.monotonic() + PROBE_SECONDS
        self._outbox = Outbox(
            self._http,
            self.url,
            spool_dir or (settings.home() / "spool"),
            self.client_id,
            self.server_id,
            adopt or self._same_server,
        )

    def check_write(self, project: str | None = None, run_id: str | None = None) -> None:
        """Ask the server at once whether this client's token may log there, into `project`
        and into the stored run `run_id` (a resume: the server checks the run's project and
        owner), as POST /ingest/check needs what every ingest needs; a refusal raises
        AuthError or ForbiddenError naming the server and what is wrong. A server that
        cannot be reached now is not a refusal: the ops wait in the spool."""
        from trainboard.errors import AuthError, ForbiddenError

        try:
            r = self._http.post(
                "/ingest/check",
                params={k: v for k, v in (("project", project), ("run", run_id)) if v is not None},
                timeout=min(5.0, self._http.timeout.read or 5.0),
            )
        except httpx.HTTPError:
            return
        if r.status_code in (401, 403):
            try:
                why = str(r.json()["error"]["message"])
            except (ValueError, KeyError, TypeError):
                why = r.text[:200]
            cls = AuthError if r.status_code == 401 else ForbiddenError
            raise cls(
                f"init(): the server at {self.url} refuses to take this run's points "
                f"(TRAINBOARD_TOKEN needs scope write there, for this run's project): {why}"
            )

    def identity(self) -> str | None:
        """The server's store identity (GET /ingest/identity), asked again while unknown."""
        if self.server_id is None:
            info = server_identity(self._http)
            self.server_id = info.id if info else None
        return self.server_id

    def _same_server(self, header: dict[str, Any]) -> bool:
        """A spool made for this server: by identity where both are known, else by the URL
        however spelled (localhost or 127.0.0.1, a default port: journal/files.store_key)."""
        from trainboard.journal.files import store_key

        theirs = header.get("server")
        if theirs and self.server_id:
            return bool(theirs == self.server_id)
        return store_key(str(header.get("url") or "")) == store_key(self.url)

    def resend(self, op: bytes) -> None:
        """Queue an op again as it was (`trainboard sync --deadletter`: one set aside)."""
        self._enqueue(op)

    def _enqueue(self, op: bytes) -> None:
        self._outbox.put(op)

    @property
    def pending(self) -> int:
        """Ops not yet taken by the server."""
        return self._outbox.pending

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until the server has taken every op queued so far (True) or `timeout` passed."""
        return self._outbox.flush(timeout)

    # reads ------------------------------------------------------------------------------
    def _get(self, path: str, **params: Any) -> Any:
        self.flush(timeout=self._http.timeout.read or 30.0)  # read what this store wrote
        return self._call("GET", path, params={k: v for k, v in params.items() if v is not None})

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            r = self._http.request(method, path, **kwargs)
        except httpx.HTTPError as e:
            raise StoreError(f"cannot reach the trainboard server at {self.url}: {e}") from None
        if r.status_code >= 400:
            try:
                err = r.json()["error"]
            except (ValueError, KeyError, TypeError):
                raise StoreError(f"{self.url}{API}{path}: HTTP {r.status_code}") from None
            raise error_from_body(
                r.status_code,
                str(err.get("code", "")),
                f"trainboard server: {err.get('message')}",
                run_id=err.get("run_id"),
            )
        if r.headers.get("content-type", "").startswith("application/json"):
            return orjson.loads(r.content)
        return r.content

    # runs -------------------------------------------------------------------------------
    def create_run(self, run: RunRecord) -> RunRecord:
        """Checked here as the SQL engines check it (and created_at filled in), so a bad
        record raises in the caller; an id the server already has is refused later, in the
        sender, and set aside in the dead-letter file (docs/faults.md)."""
        check_new_run(run)
        self._enqueue(wire.create_run_op(run))
        return run

    def get_run(self, run_id: str) -> RunRecord:
        return _run_record(self._get(f"/runs/{run_id}")["run"])

    def _params(self, query: RunQuery | None) -> dict[str, Any]:
        q = query or RunQuery()
        if q.config:  # config_filters is False: Api().runs() checks them itself
            raise UsageError("a remote store does not filter by config values")
        archived = {None: "all", True: "true", False: "false"}[q.archived]
        return {
            "project": q.project,
            "model": q.model,
            "status": q.status,
            "tag": q.tag,
            "search": q.search,
            "archived": archived,
            "sort": q.sort,
            "id_prefix": q.id_prefix,
            "after": None if q.after is None else f"{q.after[0]!r},{q.after[1]}",
        }

    def list_runs(self, query: RunQuery | None = None) -> list[RunRecord]:
        q = query or RunQuery()
        out: list[RunRecord] = []
        offset = q.offset
        while True:
            want = 10_000 if q.limit is None else min(10_000, q.limit - len(out))
            if want <= 0:
                return out
            body = self._get("/runs", **self._params(q), limit=want, offset=offset)
            out += [_run_record(r) for r in body["runs"]]
            offset += len(body["runs"])
            if len(body["runs"]) < want:
                return out

    def count_runs(self, query: RunQuery | None = None) -> int:
        return int(self._get("/runs", **self._params(query), limit=1, exact=True)["total"])

    def update_run(self, run_id: str, **fields: Any) -> None:
        update_values(dict(fields))  # an unknown field or bad value raises here, not later
        self._enqueue(wire.update_run_op(run_id, fields))

    def set_archived(self, run_ids: Iterable[str], archived: bool) -> int:
        self.flush(timeout=self._http.timeout.read)
        path = "/runs/archive" if archived else "/runs/unarchive"
        body = self._call("POST", path, json={"ids": list(run_ids)})
        return int(body["archived" if archived else "unarchived"])

    def delete_runs(self, run_ids: Iterable[str]) -> int:
        self.flush(timeout=self._http.timeout.read)
        body = self._call("POST", "/runs/delete", json={"ids": list(run_ids), "confirm": True})
        return int(body["deleted"])

    # metrics ----------------------------------------------------------------------------
    def write_points(self, run_id: str, batches: dict[str, PointBatch]) -> None:
        for key, batch in batches.items():
            Prepared(key, batch)  # a malformed batch raises here, naming its key
        self._enqueue(wire.points_op(run_id, batches, packed=self._packed_now()))

    def _packed_now(self) -> bool:
        """Whether to send points packed. A server that did not answer at start (down, or
        too busy to answer within 2 s) is asked again every PROBE_SECONDS until it answers:
        the JSON columns form costs ~20 times the CPU per point on both sides, and a run
        would otherwise send it for its whole life. Asked from the SDK's writer thread,
        never from log()."""
        if self._next_probe is None or time.monotonic() < self._next_probe:
            return self._packed
        info = server_identity(self._http)
        if info is None:
            self._next_probe = time.monotonic() + PROBE_SECONDS
            return False
        self._next_probe = None
        self._packed = "packed" in info.points
        return self._packed

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
        SeriesQuery(max_points, x, since, start, end, superseded)  # checked as every engine
        try:
            body = self._get(
                f"/runs/{run_id}/series",
                keys=key, max_points=max_points, x=x, since=since, start=start, end=end,
                **({"superseded": "true"} if superseded else {}),
            )  # fmt: skip
        except NotFoundError:  # the run never logged `key`: empty, as the SQL engines answer
            empty = np.empty(0)
            return Series(key, empty.astype(np.int64), empty, empty, total=0, downsampled=False)
        s = body["series"][key]
        values = np.array([read_number(v) for v in s["values"]], dtype=np.float64)
        return Series(
            key,
            np.asarray(s["steps"], dtype=np.int64),
            np.asarray(s["times"], dtype=np.float64),
            values,
            total=int(s["total"]),
            downsampled=bool(s["downsampled"]),
        )

    def metric_keys(self, run_id: str) -> list[str]:
        return list(self._get(f"/runs/{run_id}")["keys"])

    # texts, histograms, artifacts ---------------------------------------------------------
    def write_texts(self, run_id: str, rows: Sequence[TextRecord]) -> None:
        self._enqueue(wire.texts_op(run_id, list(rows)))

    def read_texts(
        self, run_id: str, key: str | None = None, since: int | None = None
    ) -> list[TextRecord]:
        body = self._get(f"/runs/{run_id}/texts", key=key, since=since)
        return [TextRecord(**t) for t in body["texts"]]

    def write_histograms(self, run_id: str, rows: Sequence[HistogramRecord]) -> None:
        for r in rows:
            check_histogram(r)  # bad edges raise here, as on the SQL engines
        self._enqueue(wire.histograms_op(run_id, list(rows)))

    def read_histograms(self, run_id: str, key: str | None = None) -> list[HistogramRecord]:
        body = self._get(f"/runs/{run_id}/histograms", key=key)
        fields = {f.name for f in dataclass_fields(HistogramRecord)}
        out = []
        for raw in body["histograms"]:
            h = {k: v for k, v in raw.items() if k in fields}  # not what is only for the UI
            h["edges"] = [read_number(v) for v in h["edges"]]
            h["min"], h["max"], h["sum"] = (
                read_number(h["min"]),
                read_number(h["max"]),
                read_number(h["sum"]),
            )
            out.append(HistogramRecord(**h))
        return out

    def add_artifact(self, run_id: str, artifact: ArtifactRecord) -> ArtifactRecord:
        """Records the artifact on the server; the file stays where the SDK kept it.

        The id is the server's, so this waits (up to the read timeout) for the server to
        take the op and reads it back; a server that does not answer in time leaves `id`
        None (the op stays queued and is delivered later)."""
        self._enqueue(wire.artifact_op(run_id, artifact))
        if not self.flush(timeout=self._http.timeout.read or 30.0):
            return artifact
        try:
            listed = self.list_artifacts(run_id)
        except (StoreError, NotFoundError, RunNotFoundError):  # refused: dead-lettered
            return artifact
        same = [
            a
            for a in listed
            if (a.name, a.kind, a.step, a.path, a.size, a.wall_time)
            == (
                artifact.name,
                artifact.kind,
                artifact.step,
                artifact.path,
                artifact.size,
                artifact.wall_time,
            )
            and a.id is not None
        ]
        if same:
            artifact.id = max(a.id for a in same if a.id is not None)
        return artifact

    def list_artifacts(self, run_id: str) -> list[ArtifactRecord]:
        body = self._get(f"/runs/{run_id}/artifacts")
        return [ArtifactRecord(**a) for a in body["artifacts"]]

    # run values and events ------------------------------------------------------------------
    def write_run_values(self, run_id: str, namespace: str, values: dict[str, Any]) -> None:
        check_namespace(namespace)
        self._enqueue(wire.run_values_op(run_id, namespace, values))

    def read_run_values(self, run_id: str, namespace: str) -> dict[str, Any]:
        check_namespace(namespace)
        return dict(self._get(f"/runs/{run_id}/values/{namespace}")["values"])

    def add_events(self, run_id: str, rows: Sequence[EventRecord]) -> None:
        for e in rows:
            check_event(e)
        self._enqueue(wire.events_op(run_id, list(rows)))

    def read_events(self, run_id: str) -> list[EventRecord]:
        return [EventRecord(**e) for e in self._get(f"/runs/{run_id}/events")["events"]]

    # media --------------------------------------------------------------------------------
    def write_media(
        self, run_id: str, items: Sequence[MediaRecord], blobs: Mapping[str, Blob]
    ) -> None:
        """Queued through the outbox with the bytes, like every write: an outage loses none."""
        for r in items:
            check_media(r)
        self._enqueue(wire.media_op(run_id, list(items), blobs))

    def read_media(
        self, run_id: str, key: str | None = None, step: int | None = None
    ) -> list[MediaRecord]:
        body = self._get(f"/runs/{run_id}/media/items", key=key, step=step)
        fields = {f.name for f in dataclass_fields(MediaRecord)}
        return [MediaRecord(**{k: v for k, v in m.items() if k in fields}) for m in body["items"]]

    def media_keys(self, run_id: str) -> list[MediaKey]:
        return [MediaKey(**k) for k in self._get(f"/runs/{run_id}/media")["keys"]]

    def read_blob(self, digest: str) -> tuple[str, bytes]:
        check_digest("read_blob: digest", digest)
        self.flush(timeout=self._http.timeout.read or 30.0)
        try:
            r = self._http.get(f"/media/{digest}")
        except httpx.HTTPError as e:
            raise StoreError(f"cannot reach the trainboard server at {self.url}: {e}") from None
        if r.status_code == 404:
            raise NotFoundError(f"no media stored as {digest[:16]}...")
        if r.status_code >= 400:
            raise StoreError(f"{self.url}{API}/media/{digest}: HTTP {r.status_code}")
        return r.headers.get("content-type", "application/octet-stream"), r.content

    # lifecycle ------------------------------------------------------------------------------
    def close(self, timeout: float = CLOSE_TIMEOUT) -> None:
        """Send what is queued (waiting up to `timeout` for the server), then stop. Ops the
        server did not take stay in the spool file for the next RemoteStore to send."""
        self._outbox.close(timeout)
        self._http.close()
