"""The run facets in SQL: the kept counts (run_counts, migration 0017) where the filters are
project, model, status and archived only, else one GROUP BY (project, status, model) over
the runs the filter matches.

The kept counts are a read of at most a few hundred rows whatever the number of runs;
triggers keep them on every path that writes runs (store/sql/counts.py). A filter by name,
tag or id prefix has no kept count: the covering index ix_runs_facets (migration 0016) keeps
its GROUP BY to the matching runs' index entries.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from trainboard.store.facets import RunFacets
from trainboard.store.queries import RunQuery
from trainboard.store.sql import counts
from trainboard.store.sql.runs import Runs
from trainboard.store.sql.schema import runs


def facet_runs(table: Runs, query: RunQuery) -> RunFacets:
    """Counts per project, status and model of the runs `query`'s filters match."""
    where = table.filters(query)  # checks the filters' limits first
    if counts.countable(query):
        return table.db.read(lambda conn: counts.kept_facets(conn, query))
    cols = (runs.c.project, runs.c.status, runs.c.model)
    q = sa.select(*cols, sa.func.count()).where(*where).group_by(*cols)

    def tx(conn: Connection) -> RunFacets:
        out = RunFacets()
        for project, status, model, n in conn.execute(q):
            out.add(project, status, model, int(n))
        return out

    return table.db.read(tx)
