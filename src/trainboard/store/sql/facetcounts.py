"""The run facets in SQL: one GROUP BY (project, status, model) over the runs a filter matches.

Why a GROUP BY and no counters kept on writes: runs are created by create_run and by
import_runs, change status, are archived and deleted; counters would have to follow every
one of those paths. The covering index ix_runs_facets (migration 0016) makes the GROUP BY an
index-only read of at most a few hundred groups, whichever filter is given.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from trainboard.store.facets import RunFacets
from trainboard.store.queries import RunQuery
from trainboard.store.sql.runs import Runs
from trainboard.store.sql.schema import runs


def facet_runs(table: Runs, query: RunQuery) -> RunFacets:
    """Counts per project, status and model of the runs `query`'s filters match."""
    cols = (runs.c.project, runs.c.status, runs.c.model)
    q = sa.select(*cols, sa.func.count()).where(*table.filters(query)).group_by(*cols)

    def tx(conn: Connection) -> RunFacets:
        out = RunFacets()
        for project, status, model, n in conn.execute(q):
            out.add(project, status, model, int(n))
        return out

    return table.db.read(tx)
