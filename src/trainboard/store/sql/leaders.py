"""`Leaders`: group leaders in SQL, what ranking one model group needs about every run a query
matches, from a few aggregate queries instead of listing the runs (store/queries.py's
`leaders_of` is the reference these must agree with, and the fallback for engines without
SQL)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from trainboard.roles import can_decide
from trainboard.store.queries import GroupLeaders, RunQuery
from trainboard.store.records import RunRecord
from trainboard.store.sql import rows
from trainboard.store.sql.db import Database
from trainboard.store.sql.runs import Runs
from trainboard.store.sql.schema import runs, summaries

SUMMARY_KEYS = sa.select(summaries.c.key).distinct()


class Leaders:
    """Each model group's leaders over a Database, under the filters and order of `runs`."""

    def __init__(self, db: Database, runs: Runs) -> None:
        self.db = db
        self.runs = runs

    def of_groups(
        self, query: RunQuery, models: Iterable[str | None]
    ) -> dict[str | None, GroupLeaders]:
        """The contract's GroupLeaders from a few aggregate queries (no run is listed): the
        loss keys, each group's extremes of them, its goals, then the runs at the extremes."""
        wanted = list(dict.fromkeys(models))
        if not wanted:
            return {}
        named = [m for m in wanted if m is not None]
        in_models = [runs.c.model.in_(named)] if named else []
        if None in wanted:
            in_models.append(runs.c.model.is_(None))
        where = [*self.runs.filters(query), sa.or_(*in_models)]
        newest_first = self.runs.order(RunQuery())

        def tx(conn: Connection) -> dict[str | None, GroupLeaders]:
            out: dict[str | None, GroupLeaders] = {}
            goals_q = sa.select(runs.c.model, runs.c.goals).where(*where, runs.c.goals != "{}")
            for model, goals in rows.fetch_all(conn, goals_q.order_by(*newest_first)):
                out.setdefault(model, GroupLeaders()).goals.update(orjson.loads(goals))
            defined: dict[str, str] = {}
            for g in out.values():
                defined.update(g.goals)
            keys = [k for k in conn.execute(SUMMARY_KEYS).scalars() if can_decide(k, defined)]
            if not keys:
                return out
            joined = runs.join(
                summaries, sa.and_(summaries.c.run_id == runs.c.id, summaries.c.key.in_(keys))
            )
            agg = sa.select(
                runs.c.model, summaries.c.key, sa.func.min(summaries.c.min),
                sa.func.max(summaries.c.max),
            ).select_from(joined).where(*where).group_by(runs.c.model, summaries.c.key)  # fmt: skip
            extremes: dict[tuple[str | None, str], tuple[float | None, float | None]] = {}
            for model, key, lo, hi in rows.fetch_all(conn, agg):
                out.setdefault(model, GroupLeaders()).keys.add(key)
                extremes[(model, key)] = (lo, hi)
            add_leaders(conn, joined, where, extremes, out)
            return out

        return self.db.read(tx)


def add_leaders(
    conn: Connection,
    joined: sa.Join,
    where: list[sa.ColumnElement[bool]],
    extremes: dict[tuple[str | None, str], tuple[float | None, float | None]],
    out: dict[str | None, GroupLeaders],
) -> None:
    """Add to `out` the runs whose min or max of a key is their group's extreme."""
    los = sorted({lo for lo, _ in extremes.values() if lo is not None})
    his = sorted({hi for _, hi in extremes.values() if hi is not None})
    cols = (runs.c.id, runs.c.project, runs.c.name, runs.c.model, runs.c.created_at)
    base = sa.select(*cols, summaries.c.key, summaries.c.packed).select_from(joined)
    found: list[tuple[Any, ...]] = []
    for i in range(0, max(len(los), len(his)), 400):
        at = sa.or_(summaries.c.min.in_(los[i : i + 400]), summaries.c.max.in_(his[i : i + 400]))
        found += rows.fetch_all(conn, base.where(*where, at))
    picked: dict[tuple[str | None, str], RunRecord] = {}
    for (rid, project, name, model, created_at, key, _), m in zip(
        found, rows.summary_records([r[6] for r in found]), strict=True
    ):
        lo, hi = extremes.get((model, key), (None, None))
        if not (m.min == lo or m.max == hi):
            continue  # another group's extreme value
        lead = picked.get((model, rid))
        if lead is None:
            lead = RunRecord(rid, project, name, model=model, created_at=created_at)
            picked[(model, rid)] = lead
            out[model].leaders.append(lead)
        lead.summary[key] = m
