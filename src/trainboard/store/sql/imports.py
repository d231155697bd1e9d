"""`Imports`: many new runs with their points in one transaction (Store.import_runs).

Why its own object: create_run and write_points are one transaction each, with a commit, an
existence check and a summary read per run; for a run of a few hundred points that overhead
is most of the cost (about 130 runs/s on SQLite). An import knows every run is new, so here
the runs rows go in with one executemany, every chunk and summary row with one more each
(append.WritePlan, the same rows write_points makes), and one commit covers them all.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from trainboard.errors import StoreError, UsageError
from trainboard.store.records import PointBatch, RunRecord
from trainboard.store.sql import append, rows
from trainboard.store.sql.db import Database
from trainboard.store.sql.schema import runs

INSERT_RUN = sa.insert(runs)

EXISTING = sa.select(runs.c.id).where(runs.c.id.in_(sa.bindparam("b_ids", expanding=True)))


class Imports:
    """Store.import_runs over a Database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def runs(self, items: Sequence[tuple[RunRecord, Mapping[str, PointBatch]]]) -> int:
        run_rows = []
        points: list[tuple[str, dict[str, append.Prepared]]] = []
        seen: set[str] = set()
        for run, batches in items:
            row = rows.run_row(run)
            if run.id in seen:
                raise UsageError(f"import_runs: run id {run.id!r} appears twice")
            seen.add(run.id)
            prepared = {key: append.Prepared(key, b) for key, b in batches.items()}
            prepared = {k: p for k, p in prepared.items() if p.steps.shape[0]}
            if prepared:
                top = max(int(p.steps[-1]) for p in prepared.values())
                row["last_step"] = top if row["last_step"] is None else max(row["last_step"], top)
                points.append((run.id, prepared))
            run_rows.append(row)
        if not run_rows:
            return 0
        ids = list(seen)
        cursor_args = self.db.dialect.blob_cursor_args

        def tx(conn: Connection) -> None:
            for i in range(0, len(ids), 500):
                found = conn.execute(EXISTING, {"b_ids": ids[i : i + 500]}).first()
                if found is not None:
                    raise UsageError(f"import_runs: a run with id {found[0]!r} already exists")
            live = [r for r in run_rows if r["status"] == "running" and r["heartbeat_at"]]
            if live:  # on the store's clock, as create_run does (runs.py: _live_heartbeat)
                now = self.db.dialect.now(conn)
                for r in live:
                    r["heartbeat_at"] = now
            conn.execute(INSERT_RUN, run_rows)
            plan = append.WritePlan()
            for run_id, prepared in points:
                for key, p in prepared.items():
                    append.plan_append(conn, plan, run_id, key, p, None, cursor_args)
            plan.flush(conn)

        try:
            self.db.write(tx)
        except StoreError as e:
            if isinstance(e.__cause__, IntegrityError):  # created by another process meanwhile
                raise UsageError("import_runs: a run with one of these ids already exists") from e
            raise
        return len(run_rows)


__all__ = ["Imports"]
