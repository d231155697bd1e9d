"""The runs table sorted by any column in SQL: a page of a sorted list, never the list.

Why: GET /table sorted every matching run in Python (100,000 runs read, their configs and
summaries parsed, for a page of 200). Here the database orders the runs and cuts the page;
only the page's runs are read whole. The order is the table's (server/routes/runs_table.py):

- values of a column are numbers (booleans count as 0 and 1) or text (compared
  case-insensitively); numbers come before text ascending, after it descending; runs without
  a value (no such key, NaN, a list or an object) come last either way;
- equal values keep the list's order: newest first;
- `group`: model groups first (in name order, runs without a model last), the order within.

Columns: `name`, `project`, `model`, `status`, `created`, `duration`, `metric.<key>` (the
best value by the key's goal: the summary's min for a loss, max for an accuracy, last when
the goal is unknown; a run whose define_metric() says otherwise is ordered by its own goal)
and `config.<dotted path>` (store/configpaths.py's rule, read from the run_config rows:
store/sql/configindex.py walks their index for a page).

Text columns are compared lower-cased (str.lower(), as name search does) where Python's
table uses str.casefold(): the two differ only for a few letters such as "ß". Config strings
are compared case-folded, as in Python (their first configindex.FOLD_CHARS characters).
"""

from __future__ import annotations

import time
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from trainboard import roles
from trainboard.store.configpaths import scalar_paths
from trainboard.store.queries import RunQuery
from trainboard.store.records import RunRecord
from trainboard.store.sql import configindex, rows
from trainboard.store.sql.runs import Runs
from trainboard.store.sql.schema import run_config, runs, summaries

NUMBER, TEXT, MISSING = 0, 1, 2

OFFERED_FROM = 2000
"""The config and metric columns offered are those of the newest this many matching runs."""


def _config_keys(path: str) -> tuple[Any, Any, Any]:
    """(group, number, text) of config value `path` from its run_config row (outer-joined
    as `run_config`): numbers and bools by `num`, strings by `fold`, the rest missing."""
    rc = run_config
    group = sa.case(
        (rc.c.num.is_not(None), NUMBER),
        (rc.c.fold.is_not(None), TEXT),
        else_=MISSING,
    )
    return group, rc.c.num, rc.c.fold


def _metric_value(conn: Connection, key: str, where: list[Any]) -> Any:
    """The summary column a run is ordered by for metric `key`, by its goal: a plain column
    of `summaries` when no matching run defines its own goal for the key, else a CASE."""
    pick = {"min": summaries.c.min, "max": summaries.c.max, None: summaries.c.last}
    default = roles.goal_of(key, {})
    goals_q = sa.select(runs.c.id, runs.c.goals).where(
        *where, runs.c.goals != sa.literal_column("'{}'")
    )
    own: dict[Any, list[str]] = {}
    for rid, goals in rows.fetch_all(conn, goals_q):
        goal = roles.goal_of(key, orjson.loads(goals))
        if goal != default:
            own.setdefault(goal, []).append(rid)
    if not own:
        return pick[default]
    return sa.case(
        *[(runs.c.id.in_(ids), pick[goal]) for goal, ids in own.items()], else_=pick[default]
    )


def _by_metric_index(
    conn: Connection, query: RunQuery, where: list[Any], key: str, value: Any, desc: bool
) -> list[str]:
    """The page's ids ordered by summary column `value` of `key`, walked in the order of its
    index (ix_summaries_key_min/max/last) and stopped after the page: the runs with a value,
    then (when the page reaches past them) the runs without one, newest first. The same
    order as the general query, which sorts every matching run."""
    newest = [runs.c.created_at.desc(), runs.c.id.desc()]
    offset, limit = query.offset, query.limit
    order = value.desc() if desc else value.asc()
    if conn.dialect.name == "sqlite":
        # SQLite's planner, told every run has the key, scans the runs and sorts them all;
        # with summaries alone in FROM it walks the index and sorts only ties (PostgreSQL
        # finds that plan by itself: an incremental sort)
        of_run = runs.c.id == summaries.c.run_id
        created = sa.select(runs.c.created_at).where(of_run).scalar_subquery()
        present = (
            sa.select(summaries.c.run_id)
            .where(summaries.c.key == key, value.is_not(None))
            .where(sa.select(runs.c.id).where(of_run, *where).exists())
            .order_by(order, created.desc(), summaries.c.run_id.desc())
        )
    else:
        present = (
            sa.select(runs.c.id)
            .select_from(summaries.join(runs, runs.c.id == summaries.c.run_id))
            .where(summaries.c.key == key, value.is_not(None), *where)
            .order_by(order, *newest)
        )
    if limit is not None:
        present = present.limit(offset + limit)
    ids = [r[0] for r in rows.fetch_all(conn, present)]
    page = ids[offset:]
    if limit is not None and len(ids) == offset + limit:
        return page
    has_value = (
        sa.select(summaries.c.run_id)
        .where(summaries.c.run_id == runs.c.id, summaries.c.key == key, value.is_not(None))
        .exists()
    )
    missing = sa.select(runs.c.id).where(*where, ~has_value).order_by(*newest)
    if limit is not None:
        missing = missing.limit(limit - len(page))
    if offset > len(ids):
        missing = missing.offset(offset - len(ids))
    return page + [r[0] for r in rows.fetch_all(conn, missing)]


def sorted_page(
    store: Runs, query: RunQuery, column: str, desc: bool, group: bool
) -> list[RunRecord]:
    """The runs of `query`'s page (its limit and offset) in the table's order by `column`,
    with their summaries."""
    where = store.filters(query)
    newest = [runs.c.created_at.desc(), runs.c.id.desc()]

    def tx(conn: Connection) -> list[str]:
        source: Any = runs
        if column.startswith("metric."):
            key = column.removeprefix("metric.")
            value = _metric_value(conn, key, where)
            if not group and isinstance(value, sa.Column):  # one goal: by its index
                return _by_metric_index(conn, query, where, key, value, desc)
            source = runs.outerjoin(
                summaries, sa.and_(summaries.c.run_id == runs.c.id, summaries.c.key == key)
            )
            keys: tuple[Any, Any, Any] = (
                sa.case((value.is_(None), MISSING), else_=NUMBER),
                value,
                None,
            )
        elif column.startswith("config."):
            path = configindex.check_path(column.removeprefix("config."))
            if not group:  # by its index, stopped after the page
                return configindex.sorted_ids(conn, path, where, desc, query.offset, query.limit)
            source = runs.outerjoin(
                run_config, sa.and_(run_config.c.run_id == runs.c.id, run_config.c.path == path)
            )
            keys = _config_keys(path)
        elif column == "created":
            keys = (sa.literal(NUMBER), runs.c.created_at, None)
        elif column == "duration":
            end = sa.func.coalesce(runs.c.finished_at, runs.c.heartbeat_at, time.time())
            keys = (sa.literal(NUMBER), end - runs.c.created_at, None)
        else:
            col = getattr(runs.c, column)
            keys = (
                sa.case((col.is_(None), MISSING), else_=TEXT),
                None,
                store.db.dialect.lower(col),
            )
        group_key, number, text = keys
        present_first = sa.case((group_key == MISSING, 1), else_=0)
        order: list[Any] = []
        if group:
            order += [runs.c.model.is_(None), store.db.dialect.bytewise(runs.c.model)]
        order.append(present_first)
        for k in (group_key, number, None if text is None else store.db.dialect.bytewise(text)):
            if k is not None and not isinstance(k, sa.BindParameter):
                order.append(k.desc() if desc else k.asc())
        q = sa.select(runs.c.id).select_from(source).where(*where).order_by(*order, *newest)
        if query.limit is not None:
            q = q.limit(query.limit)
        if query.offset:
            q = q.offset(query.offset)
        return [r[0] for r in rows.fetch_all(conn, q)]

    ids = store.db.read(tx)
    if not ids:
        return []
    return store.by_ids(ids)


def offered_columns(store: Runs, query: RunQuery) -> tuple[list[str], list[str]]:
    """(config columns, metric columns) of the newest OFFERED_FROM matching runs, sorted."""
    sample = RunQuery(**{**query.__dict__, "limit": OFFERED_FROM, "offset": 0, "sort": "created"})
    where = store.filters(sample)

    def tx(conn: Connection) -> tuple[list[str], list[str]]:
        newest = (
            sa.select(runs.c.id, runs.c.config)
            .where(*where)
            .order_by(runs.c.created_at.desc(), runs.c.id.desc())
            .limit(OFFERED_FROM)
        )
        found = rows.fetch_all(conn, newest)
        config: set[str] = set()
        for _, text in found:
            config.update(flat_keys(orjson.loads(text) if text else {}))
        ids = [r[0] for r in found]
        metrics: set[str] = set()
        for i in range(0, len(ids), 900):
            part = ids[i : i + 900]
            q = sa.select(summaries.c.key).where(summaries.c.run_id.in_(part)).distinct()
            metrics.update(r[0] for r in rows.fetch_all(conn, q))
        return sorted(config), sorted(metrics)

    return store.db.read(tx)


def flat_keys(config: dict[str, Any]) -> list[str]:
    """The names of a config's single values (store/configpaths.py): the config columns."""
    return list(scalar_paths(config))
