"""`Attached`: what a run carries besides its points, in SQL: texts, histograms, artifacts,
run values (a wandb summary, an importer's resume points) and events, each appended or read
in one transaction after its run is found.

Why its own object over a `Database`: these tables grow with the integrations (wandb's
summary and alerts, TensorBoard's histograms) and change with them, not with runs, points or
retries.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from trainboard import limits
from trainboard.jsonvalues import spell_all
from trainboard.store.checks import dumps_json
from trainboard.store.records import (
    ArtifactRecord,
    EventRecord,
    HistogramRecord,
    TextRecord,
    check_event,
    check_namespace,
)
from trainboard.store.sql.db import Database
from trainboard.store.sql.rows import (
    artifact_record,
    artifact_row,
    histogram_record,
    histogram_row,
    text_row,
)
from trainboard.store.sql.runs import require_run
from trainboard.store.sql.schema import artifacts, histograms, run_events, run_values, texts

T = TypeVar("T")


class Attached:
    """Texts, histograms, artifacts, run values and events over a Database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # texts, histograms, artifacts ---------------------------------------------------------------
    def _append(self, run_id: str, table: sa.Table, rows: list[dict[str, Any]]) -> None:
        """Insert `rows` into `table` in one write, once the run is found (RunNotFoundError
        otherwise, rows or none)."""

        def tx(conn: Connection) -> None:
            require_run(conn, run_id)
            if rows:
                conn.execute(sa.insert(table), rows)

        self.db.write(tx)

    def _select(self, run_id: str, q: sa.Select[Any], make: Callable[[Any], T]) -> list[T]:
        """`make` of each row `q` reads, in one read, once the run is found."""

        def tx(conn: Connection) -> list[T]:
            require_run(conn, run_id)
            return [make(r) for r in conn.execute(q)]

        return self.db.read(tx)

    def write_texts(self, run_id: str, records: Sequence[TextRecord]) -> None:
        limits.check_text("write_texts: run id", run_id)
        self._append(run_id, texts, [text_row(run_id, r) for r in records])

    def read_texts(
        self, run_id: str, key: str | None = None, since: int | None = None
    ) -> list[TextRecord]:
        limits.check_text("read_texts: run id", run_id)
        if key is not None:
            limits.check_text("read_texts: key", key)
        if since is not None:
            limits.check_int("read_texts: since", since)
        q = sa.select(texts).where(texts.c.run_id == run_id)
        if key is not None:
            q = q.where(texts.c.key == key)
        if since is not None:
            q = q.where(texts.c.step > since)
        q = q.order_by(texts.c.step, texts.c.id)
        return self._select(
            run_id, q, lambda r: TextRecord(r.key, int(r.step), float(r.wall_time), r.text)
        )

    def write_histograms(self, run_id: str, records: Sequence[HistogramRecord]) -> None:
        limits.check_text("write_histograms: run id", run_id)
        self._append(run_id, histograms, [histogram_row(run_id, r) for r in records])

    def read_histograms(self, run_id: str, key: str | None = None) -> list[HistogramRecord]:
        limits.check_text("read_histograms: run id", run_id)
        if key is not None:
            limits.check_text("read_histograms: key", key)
        q = sa.select(histograms).where(histograms.c.run_id == run_id)
        if key is not None:
            q = q.where(histograms.c.key == key)
        q = q.order_by(histograms.c.key, histograms.c.step, histograms.c.id)
        return self._select(run_id, q, histogram_record)

    def add_artifact(self, run_id: str, artifact: ArtifactRecord) -> ArtifactRecord:
        limits.check_text("add_artifact: run id", run_id)
        row = artifact_row(run_id, artifact)

        def tx(conn: Connection) -> int:
            require_run(conn, run_id)
            res = conn.execute(sa.insert(artifacts), row)
            return int(res.inserted_primary_key[0])  # type: ignore[index]

        artifact.id = self.db.write(tx)
        return artifact

    def list_artifacts(self, run_id: str) -> list[ArtifactRecord]:
        limits.check_text("list_artifacts: run id", run_id)
        q = sa.select(artifacts).where(artifacts.c.run_id == run_id).order_by(artifacts.c.id)
        return self._select(run_id, q, artifact_record)

    # run values and events ----------------------------------------------------------------------
    def write_run_values(self, run_id: str, namespace: str, values: dict[str, Any]) -> None:
        check_namespace(namespace)
        keys = list(values)
        beats = namespace == "ranks" and any(_is_rank_beat(v) for v in values.values())
        t = run_values

        def tx(conn: Connection) -> None:
            require_run(conn, run_id)
            now = self.db.dialect.now(conn) if beats else 0.0
            found = [
                {
                    "run_id": run_id,
                    "namespace": namespace,
                    "key": k,
                    "value": dumps_json(
                        spell_all(dict(v, seen_at=now) if beats and _is_rank_beat(v) else v)
                    ),
                }
                for k, v in values.items()
                if v is not None
            ]
            for i in range(0, len(keys), 500):  # replace: delete then insert, on both engines
                part = keys[i : i + 500]
                where = (t.c.run_id == run_id) & (t.c.namespace == namespace)
                conn.execute(sa.delete(t).where(where & t.c.key.in_(part)))
            if found:
                conn.execute(sa.insert(t), found)

        self.db.write(tx)

    def read_run_values(self, run_id: str, namespace: str) -> dict[str, Any]:
        check_namespace(namespace)
        t = run_values
        q = sa.select(t.c.key, t.c.value).where(t.c.run_id == run_id, t.c.namespace == namespace)

        def tx(conn: Connection) -> dict[str, Any]:
            require_run(conn, run_id)
            return {k: orjson.loads(v) for k, v in conn.execute(q.order_by(t.c.key))}

        return self.db.read(tx)

    def add_events(self, run_id: str, events: Sequence[EventRecord]) -> None:
        for e in events:
            check_event(e)
        values = [
            {
                "run_id": run_id,
                "kind": e.kind,
                "level": e.level,
                "title": e.title,
                "text": e.text,
                "step": e.step,
                "wall_time": float(e.wall_time),
            }
            for e in events
        ]
        self._append(run_id, run_events, values)

    def read_events(self, run_id: str) -> list[EventRecord]:
        t = run_events
        q = sa.select(t).where(t.c.run_id == run_id).order_by(t.c.id)
        return self._select(run_id, q, _event_record)


def _event_record(r: Any) -> EventRecord:
    return EventRecord(
        kind=r.kind,
        title=r.title,
        text=r.text,
        level=r.level,
        wall_time=float(r.wall_time),
        step=None if r.step is None else int(r.step),
        id=int(r.id),
    )


def _is_rank_beat(value: Any) -> bool:
    """A rank's heartbeat (sdk/ranks.py: its "ranks" value with "seen_at", while it has not
    ended) is stored as the time the store got it, on the store's clock, as a run's heartbeat
    is (runs.py: _live_heartbeat): a skewed training host can neither crash a live rank nor
    keep a dead one alive."""
    return (
        isinstance(value, dict) and value.get("seen_at") is not None and value.get("ended") is None
    )
