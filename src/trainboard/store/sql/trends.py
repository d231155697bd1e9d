"""Model groups' improvement trends in SQL: the verdict's figures and the thinned points,
worked out by the database with window functions, so that Python receives about
`TREND_POINTS` rows a group however many runs the group holds.

Why: Compare's trend read every run of each compared model group into Python (20,000 rows a
group, five groups for 50 runs, in a store of 100,000 runs): 7 s on SQLite and 26 s on
PostgreSQL for one Compare. The rule is analysis/trend.py's (`improvement_trend`, the
reference these rows must agree with, and the fallback where this cannot answer): runs oldest
first by (created_at, id); each run's value its best (min or max by the goal) of its own key
for the measure, None where not finite; a run sets a new best when its value beats every
earlier one; the verdict compares the best of the first half of the runs with a value against
the best of the rest; the points kept are the first and last run, the new bests (evenly chosen
when there are more than half the budget) and runs evenly spaced.

One statement answers every group of a Compare: it reads the groups' runs from
ix_runs_model_created (index only) and each candidate key's extremes from
ix_summaries_key_min / _max (index only; PostgreSQL hashes them once for all the groups),
sorts them once, and runs two levels of windows partitioned by group. The cost is one pass
over the groups' runs inside the database, not a row per run sent to Python.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from trainboard.roles.measure import Measure
from trainboard.store.queries import TREND_POINTS, GroupTrend, TrendRow
from trainboard.store.sql.db import Database
from trainboard.store.sql.leaders import DISTINCT_KEYS, WITH_GOALS
from trainboard.store.sql.schema import runs

MAX_KEYS = 8
"""Keys of one measure joined at most (eval/loss, val_loss, ...); more: the caller lists."""

HALF = TREND_POINTS // 2
"""New bests kept at most (evenly chosen among them past this)."""

Group = tuple[str | None, str | None]  # (model, None), or (None, project) for runs without one

_BEFORE = "ORDER BY created_at, id{collate} ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING"

_SQL = """
WITH base AS (
  SELECT {which_group} AS gi, r.id AS id, r.created_at AS created_at, {own}
  FROM runs r{joins} WHERE {where}
), w AS (
  SELECT gi, id, created_at, k, v,
    row_number() OVER o - 1 AS i,
    count(v) OVER o AS lprev,
    {pick}(v) OVER o AS prev,
    count(*) OVER g AS n,
    count(v) OVER g AS nl{used}
  FROM base
  WINDOW g AS (PARTITION BY gi), o AS (PARTITION BY gi {before})
), b AS (
  SELECT w.*,
    CASE WHEN v IS NOT NULL AND (prev IS NULL OR v {better} prev) THEN 1 ELSE 0 END AS nb
  FROM w
), c AS (
  SELECT b.*,
    coalesce(sum(nb) OVER o, 0) AS bprev,
    sum(nb) OVER g AS nbests,
    {pick}(CASE WHEN lprev < nl / 2 THEN v END) OVER g AS early,
    {pick}(CASE WHEN lprev >= nl / 2 THEN v END) OVER g AS late
  FROM b
  WINDOW g AS (PARTITION BY gi), o AS (PARTITION BY gi {before})
), d AS (
  SELECT c.*, :budget - 2 - CASE WHEN nbests > :half THEN :half ELSE nbests END AS room
  FROM c
)
SELECT gi, id, (SELECT name FROM runs WHERE runs.id = d.id), created_at, v, prev, nb,
  nl, early, late{used_out}
FROM d
WHERE n <= :budget OR i = 0 OR i = n - 1 OR i % ((n + room - 1) / room) = 0
  OR (nb = 1 AND (nbests <= :half
    OR ((bprev * :half + nbests - 1) / nbests) * nbests < (bprev + 1) * :half))
ORDER BY gi, created_at, id{collate}
"""
"""Per run, in its group's order (gi: the group's place in the list asked for): i its
place; lprev and prev the runs with a value before it and their best; nb 1 where it sets a new
best, bprev the new bests before it; n, nl, nbests the group's runs, runs with a value and new
bests; early and late the best of the first nl // 2 runs with a value and of the rest; room the
evenly spaced points left beside the kept new bests (the i-th of them kept where
(i * HALF + nbests - 1) // nbests * nbests < (i + 1) * HALF, that is where some j < HALF has
j * nbests // HALF == i, as analysis/trend.py's `_thin` picks)."""


def group_trends(
    db: Database, groups: Sequence[Group], measure: Measure
) -> dict[Group, GroupTrend]:
    """Store.group_trends in SQL. A group is left out (the caller lists its runs) where a run
    of it defines goals (its own goals change which value counts, as the listed runs' trend
    works out), or where the measure has more than MAX_KEYS keys in the store."""
    wanted = list(dict.fromkeys(groups))

    def tx(conn: Connection) -> dict[Group, GroupTrend]:
        if conn.dialect.name == "postgresql":
            # JIT compiling the windows costs more than it saves on 100,000 rows, and the
            # default work_mem sorts that many on disk
            conn.exec_driver_sql("SET LOCAL jit = off")
            conn.exec_driver_sql("SET LOCAL work_mem = '64MB'")
        plain = [g for g in wanted if not _own_goals(conn, g)]
        keys = measure.keys_in(conn.execute(DISTINCT_KEYS).scalars().all(), {})
        if not plain or len(keys) > MAX_KEYS:
            return {}
        goals = {measure.goal([k], {}) for k in keys}
        if len(goals) <= 1:  # every key measures the same way (or none is logged)
            by_goal = {goals.pop() if goals else "min": plain}
        else:  # the keys disagree: the keys each group uses decide
            by_goal = {}
            for g, used in _used(conn, plain, keys).items():
                by_goal.setdefault(measure.goal(sorted(used), {}), []).append(g)
        out: dict[Group, GroupTrend] = {}
        for goal, some in by_goal.items():
            out.update(_trends(conn, some, keys, goal, measure))
        return out

    return db.read(tx)


def _own_goals(conn: Connection, group: Group) -> bool:
    """True where a run of `group` defines goals (ix_runs_with_goals: the few such runs)."""
    model, project = group
    q = sa.select(runs.c.id).where(WITH_GOALS)
    if model is not None:
        q = q.where(runs.c.model == model)
    else:
        q = q.where(runs.c.model.is_(None), runs.c.project == project)
    return conn.execute(q.limit(1)).first() is not None


def _in_groups(groups: Sequence[Group]) -> tuple[str, str, dict[str, Any]]:
    """The WHERE of the groups' runs, the CASE that numbers a run's group (its place in
    `groups`: a small integer to partition and sort by, not two strings), and parameters."""
    params: dict[str, Any] = {}
    models, projects, which = [], [], []
    for i, (m, p) in enumerate(groups):
        if m is not None:
            params[f"g{i}"] = m
            models.append(f":g{i}")
            which.append(f"WHEN r.model = :g{i} THEN {i}")
        else:
            params[f"g{i}"] = p
            projects.append(f":g{i}")
            which.append(f"WHEN r.model IS NULL AND r.project = :g{i} THEN {i}")
    parts = []
    if models:
        parts.append(f"r.model IN ({', '.join(models)})")
    if projects:
        parts.append(f"(r.model IS NULL AND r.project IN ({', '.join(projects)}))")
    return " OR ".join(parts), f"CASE {' '.join(which)} END", params


def _own_key(keys: Sequence[str], side: str) -> tuple[str, str, str, dict[str, Any]]:
    """The joins of each candidate key's summary, and the CASE expressions that pick a run's
    own key (the first it logged) as its index in `keys`, and that key's `side` (min/max)."""
    joins = "".join(
        f" LEFT JOIN summaries s{i} ON s{i}.run_id = r.id AND s{i}.key = :k{i}"
        for i in range(len(keys))
    )
    which = " ".join(f"WHEN s{i}.run_id IS NOT NULL THEN {i}" for i in range(len(keys)))
    value = " ".join(f"WHEN s{i}.run_id IS NOT NULL THEN s{i}.{side}" for i in range(len(keys)))
    return joins, f"CASE {which} END", f"CASE {value} END", {f"k{i}": k for i, k in enumerate(keys)}


def _used(conn: Connection, groups: Sequence[Group], keys: Sequence[str]) -> dict[Group, set[str]]:
    """The keys each group's runs use for the measure (each run its first logged key)."""
    joins, which, _, kp = _own_key(keys, "min")
    where, which_group, params = _in_groups(groups)
    sql = f"SELECT DISTINCT {which_group}, {which} FROM runs r{joins} WHERE {where}"
    out: dict[Group, set[str]] = {g: set() for g in groups}
    for gi, i in conn.execute(sa.text(sql), {**params, **kp}):
        if i is not None:
            out[groups[int(gi)]].add(keys[int(i)])
    return out


def _trends(
    conn: Connection, groups: Sequence[Group], keys: Sequence[str], goal: str, measure: Measure
) -> dict[Group, GroupTrend]:
    """The one statement for `groups`, all of whose keys measure the way `goal` says."""
    side, better = ("min", "<") if goal == "min" else ("max", ">")
    if keys:
        joins, which, value, kp = _own_key(keys, side)
        own = f"{which} AS k, CASE WHEN ({value}) > :lo AND ({value}) < :hi THEN {value} END AS v"
    else:
        joins, kp, own = "", {}, "NULL AS k, NULL AS v"
    where, which_group, params = _in_groups(groups)
    flags = range(len(keys))
    # ties of created_at go by id in code point order, as Python's sort puts them
    collate = ' COLLATE "C"' if conn.dialect.name == "postgresql" else ""
    sql = _SQL.format(
        which_group=which_group,
        collate=collate,
        own=own,
        joins=joins,
        where=where,
        pick=side,
        better=better,
        before=_BEFORE.format(collate=collate),
        used="".join(f", max(CASE WHEN k = {i} THEN 1 ELSE 0 END) OVER g AS u{i}" for i in flags),
        used_out="".join(f", u{i}" for i in flags),
    )
    args = {**params, **kp, "lo": -math.inf, "hi": math.inf, "budget": TREND_POINTS, "half": HALF}
    found: dict[int, list[Any]] = {}
    for r in conn.execute(sa.text(sql), args):
        found.setdefault(int(r[0]), []).append(r)
    out: dict[Group, GroupTrend] = {}
    for gi, g in enumerate(groups):
        rows = found.get(gi, [])
        first = rows[0] if rows else None
        used = [k for i, k in enumerate(keys) if first is not None and first[10 + i]]
        points = []
        for r in rows:
            v, prev, new = _float(r[4]), _float(r[5]), bool(r[6])
            points.append(TrendRow(r[1], r[2], float(r[3]), v, v if new else prev, new))
        out[g] = GroupTrend(
            used=tuple(used),
            goal=measure.goal(sorted(used), {}),
            logged=int(first[7]) if first else 0,
            early=_float(first[8]) if first else None,
            late=_float(first[9]) if first else None,
            points=points,
        )
    return out


def _float(v: Any) -> float | None:
    return None if v is None else float(v)
