"""The `run_config` rows: every run's single config values by name, so that the runs list
filters by a config value or range, and the runs table sorts by a config column, by index.

Why a side table and not JSON expressions: an expression index covers one name chosen in
advance, while people filter and sort by any of their hyperparameters. One row per (run,
name) with the value as a number or as text, indexed on (path, num, fold, created_at, run_id)
both ways, answers all of them: an equality or a range is an index range, and a sorted page is
an index walk that stops after the page (equal values come newest first straight from the
index, as the table lists them).

Which names a config has, and what they hold, is store/configpaths.py's rule, the same one
`Api().runs(config=...)` applies in Python. The rows are written in the transaction that
writes the config (create_run, import_runs, update_run) and deleted with the run.

Limits, said where they apply: a name longer than MAX_PATH characters is not kept (a filter
or sort by it is refused with a UsageError), strings sort by their first FOLD_CHARS
case-folded characters (equality compares the whole string), and numbers are compared as
64-bit floats (an int beyond 2**53 may equal its float neighbours).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from trainboard.store.configpaths import BOOL, NULL, NUMBER, TEXT, kind_of, scalar_paths
from trainboard.store.queries import MAX_PATH, ConfigFilter
from trainboard.store.sql.schema import run_config, runs

FOLD_CHARS = 100
"""Case-folded characters of a string value kept for sorting."""

INSERT = sa.insert(run_config)


def fold(text: str) -> str:
    """A string's sort key: case-folded as the table's Python sort does, cut to FOLD_CHARS."""
    return text.casefold()[:FOLD_CHARS]


def rows_of(run_id: str, created_at: float, config: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The run_config rows of one run's config (as stored: JSON's values)."""
    out = []
    for path, v in scalar_paths(config).items():
        if len(path) > MAX_PATH or "\x00" in path:
            continue  # a filter or sort by such a name is refused (ConfigFilter.check)
        if isinstance(v, str) and "\x00" in v:
            v = v.replace("\x00", "\ufffd")  # PostgreSQL text holds no NUL; nor can a filter
        kind = kind_of(v)
        num = float(v) if kind in (NUMBER, BOOL) else None  # type: ignore[arg-type]
        if num is not None and not math.isfinite(num):
            num = None  # JSON holds no NaN or inf; a float that overflowed sorts as missing
        out.append(
            {
                "run_id": run_id,
                "path": path,
                "kind": kind,
                "num": num,
                "fold": fold(v) if isinstance(v, str) else None,
                "text": v if isinstance(v, str) else None,
                "created_at": float(created_at),
            }
        )
    return out


def rows_of_text(run_id: str, created_at: float, config_text: str | None) -> list[dict[str, Any]]:
    """rows_of a config as the runs row holds it (JSON text): what a reader will load."""
    return rows_of(run_id, created_at, orjson.loads(config_text) if config_text else {})


def insert(conn: Connection, rows: list[dict[str, Any]]) -> None:
    if rows:
        conn.execute(INSERT, rows)


def rewrite(conn: Connection, run_id: str, config_text: str) -> None:
    """Replace a run's rows after its config changed (in the update's transaction)."""
    conn.execute(sa.delete(run_config).where(run_config.c.run_id == run_id))
    created = conn.execute(sa.select(runs.c.created_at).where(runs.c.id == run_id)).scalar()
    if created is not None:
        insert(conn, rows_of_text(run_id, float(created), config_text))


def check_path(path: str) -> str:
    """`path` as a config column the table can sort by; a UsageError naming the limit."""
    return ConfigFilter(path, "eq", None).check().path


def matches(f: ConfigFilter, n: int = 0) -> sa.ColumnElement[bool]:
    """The runs whose config value `f.path` passes `f`, as an EXISTS over run_config
    correlated to `runs` (alias `n`: several filters, or a filter inside a sort's walk)."""
    c = run_config.alias(f"cf{n}")
    cond: list[sa.ColumnElement[bool]] = [c.c.run_id == runs.c.id, c.c.path == f.path]
    if f.op == "range":
        lo, hi = f.value
        if any(b is not None and math.isnan(b) for b in (lo, hi)):
            return sa.false()
        cond.append(c.c.kind == NUMBER)
        if lo is not None:
            cond.append(c.c.num >= float(lo))
        if hi is not None:
            cond.append(c.c.num <= float(hi))
    else:
        v = f.value
        kind = kind_of(v)
        cond.append(c.c.kind == kind)
        if kind == TEXT:
            cond += [c.c.fold == fold(v), c.c.text == v]
        elif kind in (NUMBER, BOOL):
            try:
                num = float(v)
            except OverflowError:
                return sa.false()
            if math.isnan(num):
                return sa.false()  # NaN equals nothing, as in Python
            cond.append(c.c.num == num)
        else:
            assert kind == NULL
    return sa.exists().where(*cond).correlate(runs)


def sorted_ids(
    conn: Connection,
    path: str,
    where: list[Any],
    desc: bool,
    offset: int,
    limit: int | None,
) -> list[str]:
    """Ids of the runs matching `where` in the table's order by config value `path`: numbers
    (and bools) before strings ascending, strings first descending, runs without a single
    value last, newest first among equals; the page (offset, limit) only. Each group is an
    index walk that stops after the page."""
    rc = run_config
    has = sa.select(runs.c.id).where(runs.c.id == rc.c.run_id, *where).exists()
    order = [
        rc.c.num.desc() if desc else rc.c.num.asc(),
        rc.c.fold.desc() if desc else rc.c.fold.asc(),
        rc.c.created_at.desc(),
        rc.c.run_id.desc(),
    ]
    numbers = rc.c.num.is_not(None)
    texts = sa.and_(rc.c.num.is_(None), rc.c.fold.is_not(None))
    want = None if limit is None else offset + limit
    ids: list[str] = []
    for cond in (texts, numbers) if desc else (numbers, texts):
        q = sa.select(rc.c.run_id).where(rc.c.path == path, cond, has).order_by(*order)
        if want is not None:
            q = q.limit(want - len(ids))
        ids += [r[0] for r in conn.execute(q)]
        if want is not None and len(ids) >= want:
            return ids[offset:want]
    page = ids[offset:]
    valued = (
        sa.select(rc.c.run_id)
        .where(
            rc.c.run_id == runs.c.id,
            rc.c.path == path,
            sa.or_(rc.c.num.is_not(None), rc.c.fold.is_not(None)),
        )
        .exists()
    )
    missing = (
        sa.select(runs.c.id)
        .where(*where, ~valued)
        .order_by(runs.c.created_at.desc(), runs.c.id.desc())
    )
    if limit is not None:
        missing = missing.limit(limit - len(page))
    if offset > len(ids):
        missing = missing.offset(offset - len(ids))
    return page + [r[0] for r in conn.execute(missing)]
