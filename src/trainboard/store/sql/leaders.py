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
that is not there is looked for by its own walk of the index (`group_extreme`)."""

SMALL = 500
"""At most this many matching runs (a narrow filter: a search, a tag, a small project) are
aggregated directly, one GROUP BY over their summaries rows, instead of walking the key
indexes: reading SMALL runs costs less than walks that would pass over the other runs'
entries. Past it, the walks find each group's extremes without reading the group."""

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
        # probed run by run (walks from the summaries' indexes): the LIKE alone, without the
        # trigram index's subquery, which would list every run holding the text each time
        probed = [*self.runs.filters(query, by_index=False), sa.or_(*in_models)]
        newest_first = self.runs.order(RunQuery())
        by_goals = probed
        if self.db.dialect.name == "sqlite":
            # coalesce() hides the filters from SQLite's index choice (it has no statistics
            # to weigh them), so it reads the few runs with goals by ix_runs_with_goals rather
            # than every run of a model or a status; a NULL term is false either way
            by_goals = [sa.func.coalesce(w, False, type_=sa.Boolean) for w in probed]

        def tx(conn: Connection) -> dict[str | None, GroupLeaders]:
            out: dict[str | None, GroupLeaders] = {}
            goals_q = sa.select(runs.c.model, runs.c.goals).where(*by_goals, WITH_GOALS)
            for model, goals in rows.fetch_all(conn, goals_q.order_by(*newest_first)):
                out.setdefault(model, GroupLeaders()).goals.update(orjson.loads(goals))
            defined: dict[str, str] = {}
            for g in out.values():
                defined.update(g.goals)
            keys = [k for k in conn.execute(DISTINCT_KEYS).scalars() if can_decide(k, defined)]
            if not keys:
                return out
            extremes: dict[tuple[str | None, str], tuple[float | None, float | None]] = {}
            first = sa.select(runs.c.id, runs.c.model).where(*where).limit(SMALL + 1)
            few = dict(rows.fetch_all(conn, first))
            if len(few) <= SMALL:
                found = few_extremes(conn, keys, few)
            else:
                found = [
                    (m, k, lo, hi)
                    for k in keys
                    for m, lo, hi in key_extremes(conn, k, wanted, probed)
                ]
            for model, key, lo, hi in found:
                out.setdefault(model, GroupLeaders()).keys.add(key)
                extremes[(model, key)] = (lo, hi)
            joined = runs.join(
                summaries, sa.and_(summaries.c.run_id == runs.c.id, summaries.c.key.in_(keys))
            )
            add_leaders(conn, joined, probed, extremes, out)
            return out

        return self.db.read(tx)


def few_extremes(
    conn: Connection, keys: list[str], models: dict[str, str | None]
) -> list[tuple[str | None, str, float | None, float | None]]:
    """(model, key, lowest finite min, highest finite max) of every group and key over the
    matching runs `models` (run id -> model), when they are few (SMALL): their summaries rows
    by primary key, aggregated here (a join would let the planner start from the keys)."""
    ext: dict[tuple[str | None, str], list[float | None]] = {}
    ids = list(models)
    cols = (summaries.c.run_id, summaries.c.key, summaries.c.min, summaries.c.max)
    for i in range(0, len(ids), 900):
        q = sa.select(*cols).where(
            summaries.c.run_id.in_(ids[i : i + 900]), summaries.c.key.in_(keys)
        )
        for rid, key, lo, hi in rows.fetch_all(conn, q):
            e = ext.setdefault((models[rid], key), [None, None])
            if lo is not None and (e[0] is None or lo < e[0]):
                e[0] = lo
            if hi is not None and (e[1] is None or hi > e[1]):
                e[1] = hi
    return [(m, k, e[0], e[1]) for (m, k), e in ext.items()]


def group_extreme(
    conn: Connection,
    key: str,
    model: str | None,
    where: list[sa.ColumnElement[bool]],
    high: bool,
) -> float | None:
    """One group's lowest finite min (highest finite max when `high`) of `key`: a walk of
    ix_summaries_key_min (max) in value order that stops at the group's first matching run,
    so it reads the entries of better values only, never the whole group."""
    col = summaries.c.max if high else summaries.c.min
    of_model = runs.c.model.is_(None) if model is None else runs.c.model == model
    q = (
        sa.select(col)
        .select_from(summaries.join(runs, runs.c.id == summaries.c.run_id))
        .where(summaries.c.key == key, col.is_not(None), of_model, *where)
        .order_by(col.desc() if high else col.asc())
        .limit(1)
    )
    v = conn.execute(q).scalar()
    return None if v is None else float(v)


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
    if full:  # a group not seen among the walked entries: its own walk of the index
        for model in wanted:
            have = found.get(model, [None, None])
            if model in found and None not in have:
                continue
            lo = have[0] if have[0] is not None else group_extreme(conn, key, model, where, False)
            hi = have[1] if have[1] is not None else group_extreme(conn, key, model, where, True)
            if lo is not None or hi is not None:
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
