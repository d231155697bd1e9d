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

WALK = 500
"""Index entries of a key (in value order) among which each group's extreme is looked for.
Found there, it is the group's extreme (every entry after it holds a worse value); a group
that is not there (a narrow filter) is aggregated over its matching runs instead."""

DISTINCT_KEYS = sa.text(
    "WITH RECURSIVE k(key) AS ("
    " SELECT min(key) FROM summaries"
    " UNION ALL"
    " SELECT (SELECT min(s.key) FROM summaries s WHERE s.key > k.key) FROM k"
    " WHERE k.key IS NOT NULL)"
    " SELECT key FROM k WHERE key IS NOT NULL"
)
"""Every metric key in the store, one index probe per distinct key (a loose index scan of
ix_summaries_key_min), not a scan of every run's summaries."""


WITH_GOALS = runs.c.goals != sa.literal_column("'{}'")
"""The partial index ix_runs_with_goals's own condition, spelled as a literal so that SQLite
sees it is the same and uses the index (a bound parameter would not match)."""


class Leaders:
    """Each model group's leaders over a Database, under the filters and order of `runs`."""

    def __init__(self, db: Database, runs: Runs) -> None:
        self.db = db
        self.runs = runs

    def of_groups(
        self, query: RunQuery, models: Iterable[str | None]
    ) -> dict[str | None, GroupLeaders]:
        """The contract's GroupLeaders from index walks (no run is listed): the loss keys,
        each group's extremes of them, its goals, then the runs at the extremes."""
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
            goals_q = sa.select(runs.c.model, runs.c.goals).where(*where, WITH_GOALS)
            for model, goals in rows.fetch_all(conn, goals_q.order_by(*newest_first)):
                out.setdefault(model, GroupLeaders()).goals.update(orjson.loads(goals))
            defined: dict[str, str] = {}
            for g in out.values():
                defined.update(g.goals)
            keys = [k for k in conn.execute(DISTINCT_KEYS).scalars() if can_decide(k, defined)]
            if not keys:
                return out
            extremes: dict[tuple[str | None, str], tuple[float | None, float | None]] = {}
            for key in keys:
                for model, lo, hi in key_extremes(conn, key, wanted, where):
                    out.setdefault(model, GroupLeaders()).keys.add(key)
                    extremes[(model, key)] = (lo, hi)
            joined = runs.join(
                summaries, sa.and_(summaries.c.run_id == runs.c.id, summaries.c.key.in_(keys))
            )
            add_leaders(conn, joined, where, extremes, out)
            return out

        return self.db.read(tx)


def key_extremes(
    conn: Connection,
    key: str,
    wanted: list[str | None],
    where: list[sa.ColumnElement[bool]],
) -> list[tuple[str | None, float | None, float | None]]:
    """(model, lowest finite min, highest finite max) of `key` for each of the `wanted`
    groups that has a matching run with the key (None where no value of theirs is finite)."""
    found: dict[str | None, list[float | None]] = {}
    full = False
    for i, (col, high) in enumerate(((summaries.c.min, False), (summaries.c.max, True))):
        order = col.desc() if high else col.asc()
        window = (
            sa.select(summaries.c.run_id, col.label("v"))
            .where(summaries.c.key == key, col.is_not(None))
            .order_by(order)
            .limit(WALK)
            .subquery()
        )
        best = sa.func.max(window.c.v) if high else sa.func.min(window.c.v)
        q = (
            sa.select(runs.c.model, best)
            .select_from(window.join(runs, runs.c.id == window.c.run_id))
            .where(*where)
            .group_by(runs.c.model)
        )
        for model, v in rows.fetch_all(conn, q):
            found.setdefault(model, [None, None])[i] = v
        n = conn.execute(sa.select(sa.func.count()).select_from(window)).scalar_one()
        full = full or int(n) >= WALK
    # groups whose every value of the key is non-finite (NULL extremes): few rows, by index
    nulls = (
        sa.select(runs.c.model)
        .select_from(summaries.join(runs, runs.c.id == summaries.c.run_id))
        .where(summaries.c.key == key, summaries.c.min.is_(None), *where)
        .distinct()
    )
    for (model,) in rows.fetch_all(conn, nulls):
        found.setdefault(model, [None, None])
    if full:  # a group not seen among the walked entries: aggregate it (a narrow filter)
        for model in wanted:
            if model in found and None not in found[model]:
                continue
            of_model = runs.c.model.is_(None) if model is None else runs.c.model == model
            agg = (
                sa.select(
                    sa.func.count(), sa.func.min(summaries.c.min), sa.func.max(summaries.c.max)
                )
                .select_from(summaries.join(runs, runs.c.id == summaries.c.run_id))
                .where(summaries.c.key == key, of_model, *where)
            )
            count, lo, hi = conn.execute(agg).one()
            if int(count):
                found[model] = [lo, hi]
    return [(m, v[0], v[1]) for m, v in found.items()]


def add_leaders(
    conn: Connection,
    joined: sa.Join,
    where: list[sa.ColumnElement[bool]],
    extremes: dict[tuple[str | None, str], tuple[float | None, float | None]],
    out: dict[str | None, GroupLeaders],
) -> None:
    """Add to `out` the runs whose min or max of a key is their group's extreme: per key and
    side, the rows at those values, found by ix_summaries_key_min/max."""
    cols = (runs.c.id, runs.c.project, runs.c.name, runs.c.model, runs.c.created_at)
    base = sa.select(*cols, summaries.c.key, summaries.c.packed).select_from(joined)
    found: list[tuple[Any, ...]] = []
    seen: set[tuple[str, str]] = set()
    for key in sorted({k for _, k in extremes}):
        for i, col in ((0, summaries.c.min), (1, summaries.c.max)):
            values = sorted(
                {x for (_, k), v in extremes.items() if k == key and (x := v[i]) is not None}
            )
            for j in range(0, len(values), 400):
                at = [summaries.c.key == key, col.in_(values[j : j + 400])]
                for r in rows.fetch_all(conn, base.where(*at, *where)):
                    if (r[0], r[5]) not in seen:
                        seen.add((r[0], r[5]))
                        found.append(r)
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
