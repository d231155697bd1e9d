"""Run counts from `run_counts`, the per-(project, status, model, archived) counts that
triggers keep as runs change (migration 0017), and bounded counts where those cannot answer.

Why kept counts: the Runs page asks how many runs match on every page, and an exact
`count(*)` reads every matching run (0.5 s at 100,000 runs). A filter by project, projects,
model, status and archived is a sum over at most a few hundred groups. A filter on anything
else (name search, tag, exact name, id prefix) is counted by reading at most `cap + 1`
matching runs: the answer is exact up to `cap`, and past it says only "more than cap"
(`Runs.count_upto`), which the page shows as "10,000+", never as an exact number.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from trainboard.store import checks
from trainboard.store.facets import RunFacets
from trainboard.store.queries import RunQuery
from trainboard.store.sql.schema import run_counts


def countable(query: RunQuery) -> bool:
    """Whether `query`'s filters are all columns of run_counts (its sort and paging aside)."""
    return (
        query.tag is None
        and not query.search
        and query.name is None
        and not query.id_prefix
        and query.after is None
        and not query.config
    )


def model_key(model: str | None) -> str:
    """run_counts.model_key of a model: '' for none, '=' + the model otherwise."""
    return "" if model is None else "=" + model


def _where(query: RunQuery) -> list[sa.ColumnElement[bool]]:
    w: list[sa.ColumnElement[bool]] = [run_counts.c.n > 0]
    if query.project is not None:
        w.append(run_counts.c.project == query.project)
    if query.projects is not None:
        w.append(run_counts.c.project.in_(query.projects))
    if query.model is not None:
        w.append(run_counts.c.model_key == model_key(query.model))
    if query.status is not None:
        checks.check_status(query.status)
        w.append(run_counts.c.status == query.status)
    if query.archived is not None:
        w.append(run_counts.c.archived == bool(query.archived))
    return w


def kept_count(conn: Connection, query: RunQuery) -> int:
    """How many runs match a `countable` query: a sum over the kept counts."""
    q = sa.select(sa.func.coalesce(sa.func.sum(run_counts.c.n), 0)).where(*_where(query))
    return int(conn.execute(q).scalar_one())


def kept_facets(conn: Connection, query: RunQuery) -> RunFacets:
    """RunFacets of a `countable` query from the kept counts (a few hundred rows at most)."""
    cols = (run_counts.c.project, run_counts.c.status, run_counts.c.model_key)
    q = sa.select(*cols, sa.func.sum(run_counts.c.n)).where(*_where(query)).group_by(*cols)
    out = RunFacets()
    for project, status, key, n in conn.execute(q):
        out.add(project, status, None if key == "" else key[1:], int(n))
    return out
