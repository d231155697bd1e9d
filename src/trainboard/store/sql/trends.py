"""A model group's values for the improvement trend, read by index: a few columns of each run
of the group and the summary of the measure's key, never the runs' configs or other metrics.

Why: Compare's trend listed every run of each compared model group (20,000 runs each in a
store of 100,000) with all their summaries, 69 s for one Compare. Here one query walks
ix_runs_model_created (the group, oldest first) and probes the summaries' primary key once
per candidate key; analysis/trend.py turns the rows into the same trend as before.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from trainboard.roles.measure import Measure
from trainboard.store.queries import GroupValue
from trainboard.store.sql import rows
from trainboard.store.sql.db import Database
from trainboard.store.sql.leaders import DISTINCT_KEYS, WITH_GOALS
from trainboard.store.sql.schema import runs, summaries

MAX_KEYS = 8
"""Keys of one measure joined at most (eval/loss, val_loss, ...); more: the caller lists."""


def group_values(
    db: Database, model: str | None, project: str | None, measure: Measure
) -> list[GroupValue] | None:
    """Store.group_values in SQL: None where a run of the group defines goals (its own
    goals change which value counts, as the listed runs' trend works out)."""
    group = (
        [runs.c.model == model]
        if model is not None
        else [runs.c.model.is_(None), runs.c.project == project]
    )

    def tx(conn: Connection) -> list[GroupValue] | None:
        own_goals = sa.select(runs.c.id).where(*group, WITH_GOALS).limit(1)
        if conn.execute(own_goals).first() is not None:
            return None
        keys = measure.keys_in(conn.execute(DISTINCT_KEYS).scalars().all(), {})
        if len(keys) > MAX_KEYS:
            return None
        source: Any = runs
        joined = []
        for i, k in enumerate(keys):
            s = summaries.alias(f"s{i}")
            source = source.outerjoin(s, sa.and_(s.c.run_id == runs.c.id, s.c.key == k))
            joined.append(s)
        cols: list[Any] = [runs.c.id, runs.c.name, runs.c.created_at]
        if joined:
            has = [(s.c.run_id.is_not(None), i) for i, s in enumerate(joined)]
            cols.append(sa.case(*has, else_=None))
            for side in ("min", "max"):
                picks = [(s.c.run_id.is_not(None), s.c[side]) for s in joined]
                cols.append(sa.case(*picks, else_=None))
        q = (
            sa.select(*cols)
            .select_from(source)
            .where(*group)
            .order_by(runs.c.created_at, runs.c.id)
        )
        out: list[GroupValue] = []
        for r in rows.fetch_all(conn, q):
            if not joined:
                out.append(GroupValue(r[0], r[1], r[2], None, None, None))
                continue
            own = None if r[3] is None else keys[int(r[3])]
            out.append(GroupValue(r[0], r[1], r[2], own, _finite(r[4]), _finite(r[5])))
        return out

    return db.read(tx)


def _finite(v: Any) -> float | None:
    """The value as a float, None where NULL (NaN on SQLite), NaN or infinite."""
    if v is None:
        return None
    f = float(v)
    return f if f - f == 0 else None
